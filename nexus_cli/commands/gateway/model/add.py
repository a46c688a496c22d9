"""``nexus ai gateway model add NAME [--api A] [--kind K] [--url URL] --upstream-model M``:
route a model name to an upstream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from nexus_cli.commands._options import JsonOpt

if TYPE_CHECKING:
    from nexus_api.gateway import ModelRoute


def _render(route: ModelRoute) -> str:
    key = f", key: each agent's credential {route.credential!r}" if route.credential else ""
    fallback = f", falls back to {route.fallback}" if route.fallback else ""
    region = f" in {route.region}" if route.region else ""
    at = route.url or f"{route.provider}'s endpoint{region}"
    kind = " (embeddings)" if route.kind == "embedding" else ""
    return f"{route.name}{kind} -> {route.provider} {route.upstream_model} at {at}{key}{fallback}."


def add(
    name: Annotated[str, typer.Argument(help="The model name agents call.")],
    upstream_model: Annotated[
        str, typer.Option("--upstream-model", help="The upstream's name for the model.")
    ],
    api: Annotated[
        str,
        typer.Option(
            "--api",
            help="What the upstream speaks: openai (any compatible URL), anthropic, bedrock.",
        ),
    ] = "openai",
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="The upstream's base URL, e.g. http://127.0.0.1:11434/v1 (required for openai; "
            "anthropic: api.anthropic.com; bedrock: AWS's endpoint for the region).",
        ),
    ] = None,
    kind: Annotated[
        str,
        typer.Option(
            "--kind", help="chat, or embedding (/v1/embeddings: openai or bedrock upstreams)."
        ),
    ] = "chat",
    region: Annotated[
        str | None, typer.Option("--region", help="bedrock: the AWS region (us-east-1).")
    ] = None,
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
    """Route a model name to an upstream: OpenAI-compatible (OpenAI, Ollama, vLLM, LiteLLM),
    Anthropic or Amazon Bedrock; its key is each calling agent's credential."""
    from nexus_cli import output
    from nexus_cli.context import provider, use_json

    use_json(json_)
    route = {"name": name, "provider": api, "kind": kind, "url": url, "region": region,
             "upstream_model": upstream_model, "credential": credential,
             "fallback": fallback, "timeout": timeout}  # fmt: skip
    output.emit(provider().gateway_model_add(route), _render)
