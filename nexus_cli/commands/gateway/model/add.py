"""``nexus ai gateway model add NAME --url URL --upstream-model M``: route a model name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from nexus_cli.commands._options import JsonOpt

if TYPE_CHECKING:
    from nexus_api.gateway import ModelRoute


def _render(route: ModelRoute) -> str:
    key = f", key: each agent's credential {route.credential!r}" if route.credential else ""
    fallback = f", falls back to {route.fallback}" if route.fallback else ""
    return f"{route.name} -> {route.upstream_model} at {route.url}{key}{fallback}."


def add(
    name: Annotated[str, typer.Argument(help="The model name agents call.")],
    url: Annotated[
        str,
        typer.Option(
            "--url",
            help="The upstream's OpenAI-compatible base URL, e.g. http://127.0.0.1:11434/v1.",
        ),
    ],
    upstream_model: Annotated[
        str, typer.Option("--upstream-model", help="The upstream's name for the model.")
    ],
    credential: Annotated[
        str | None,
        typer.Option(
            "--credential", help="The calling agent's API key credential to send (from the vault)."
        ),
    ] = None,
    fallback: Annotated[
        str | None, typer.Option("--fallback", help="A model that answers when the upstream fails.")
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds the upstream has to answer.")
    ] = 60.0,
    json_: JsonOpt = False,
) -> None:
    """Route a model name to an OpenAI-compatible upstream (OpenAI, Ollama, vLLM, LiteLLM)."""
    from nexus_cli import output
    from nexus_cli.context import provider, use_json

    use_json(json_)
    route = {"name": name, "url": url, "upstream_model": upstream_model, "credential": credential,
             "fallback": fallback, "timeout": timeout}  # fmt: skip
    output.emit(provider().gateway_model_add(route), _render)
