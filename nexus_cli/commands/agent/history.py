"""``nexus ai agent history NAME``: every version and every rollout."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nexus_cli.commands._options import AgentArg, JsonOpt

if TYPE_CHECKING:
    from nexus_api.models import History


def _render(history: History) -> list[Any]:
    from rich.table import Table
    from rich.text import Text

    from nexus_cli.commands._cells import ago, short_digest

    if not history.versions:
        return [f"{history.name} has no versions yet."]
    versions = Table(box=None, pad_edge=False, header_style="bold", title_justify="left")
    for col in ("REVISION", "VERSION", "DIGEST", "CREATED", "BY", "LIVE IN"):
        versions.add_column(col, no_wrap=True)
    for v in sorted(history.versions, key=lambda v: v.revision, reverse=True):
        versions.add_row(
            f"r{v.revision}",
            v.label,
            short_digest(v.digest),
            ago(v.created_at),
            v.created_by or "-",
            Text(", ".join(v.live_in), style="green") if v.live_in else Text("-", style="dim"),
        )
    parts: list[Any] = [Text(f"Versions of {history.name}", style="bold"), versions]
    if history.events:
        events = Table(box=None, pad_edge=False, header_style="bold")
        for col in ("WHEN", "ENV", "ACTION", "VERSION", "BY"):
            events.add_column(col, no_wrap=True)
        for e in sorted(history.events, key=lambda e: e.at, reverse=True):
            events.add_row(ago(e.at), e.env, e.action, f"{e.label} (r{e.revision})", e.by or "-")
        parts += ["", Text("Events", style="bold"), events]
    return parts


def history(
    name: AgentArg,
    json_: JsonOpt = False,
) -> None:
    """List every version of an agent, where each is live, and the rollout events."""
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider

    begin(json_, name)
    found = provider().history(name)
    from nexus_cli import completion

    completion.remember_versions(
        name, [v.label for v in found.versions] + [f"r{v.revision}" for v in found.versions]
    )
    output.emit(found, _render)
