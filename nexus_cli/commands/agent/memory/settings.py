"""``nexus ai agent memory settings NAME [--retention-days D] [--strategies S,…]
[--vectors on|off] [--embedding-model M]``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from nexus_cli.commands._options import JsonOpt

if TYPE_CHECKING:
    from nexus_api.memory import MemorySettings


def _render(s: MemorySettings) -> str:
    return (
        f"agent       {s.agent}\n"
        f"retention   {s.retention_days:g} days\n"
        f"strategies  {', '.join(s.strategies) or 'none'}"
        + (f"\ncustom      {s.custom_prompt}" if s.custom_prompt else "")
        + f"\nvectors     {'on' if s.vectors else 'off'}"
        + (f" ({s.embedding_model})" if s.vectors and s.embedding_model else "")
    )


def settings(
    name: Annotated[str, typer.Argument(help="Agent name.")],
    retention_days: Annotated[
        float | None,
        typer.Option("--retention-days", help="Keep session events this many days."),
    ] = None,
    strategies: Annotated[
        str | None,
        typer.Option(
            "--strategies",
            help="Extraction strategies, comma-separated: summary, preferences, facts, "
            "custom (none: no extraction).",
        ),
    ] = None,
    custom_prompt: Annotated[
        str | None,
        typer.Option("--custom-prompt", help="With --strategies …custom: what to extract."),
    ] = None,
    vectors: Annotated[
        str | None,
        typer.Option(
            "--vectors",
            help="on: embed the records through the gateway and search them by meaning too "
            "(hybrid by default); off: words only.",
        ),
    ] = None,
    embedding_model: Annotated[
        str | None,
        typer.Option(
            "--embedding-model",
            help="The gateway embedding model that embeds the records: nexus-offline-embed "
            "(the default) or a route of kind embedding to an upstream; a change embeds them "
            "all again.",
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Show or change how long an agent's memory keeps events, what it extracts and
    whether its records are searched by meaning."""
    from nexus_cli import output
    from nexus_cli.context import provider, use_json

    use_json(json_)
    chosen = None
    if strategies is not None:
        chosen = [s.strip() for s in strategies.split(",") if s.strip() and s.strip() != "none"]
    if custom_prompt is not None and chosen is None:
        from nexus_cli.errors import UsageError

        raise UsageError("--custom-prompt goes with --strategies", hint="add --strategies custom")
    if vectors not in (None, "on", "off"):
        from nexus_cli.errors import UsageError

        raise UsageError(f"--vectors is on or off, not {vectors!r}", hint="--vectors on")
    from nexus_api.memory import SettingsChange, Strategies

    change = SettingsChange(
        retention_days=retention_days,
        strategies=None
        if chosen is None
        else Strategies(strategies=chosen, custom_prompt=custom_prompt),
        vectors=None if vectors is None else vectors == "on",
        embedding_model=embedding_model,
    )
    settings = provider().memory_settings(name, change)
    output.emit(settings, _render)
