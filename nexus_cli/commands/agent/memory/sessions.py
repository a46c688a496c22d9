"""``nexus ai agent memory sessions NAME [--actor A]``: an agent's conversations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from nexus_cli.commands._options import JsonOpt
from nexus_cli.commands.agent.memory._common import ActorOpt

if TYPE_CHECKING:
    from nexus_api.memory import SessionInfo


def _render(items: list[SessionInfo]) -> str:
    from nexus_cli.commands.agent.memory._common import when
    from nexus_cli.output import columns

    if not items:
        return "No sessions in memory."
    rows = [[s.session, s.actor, str(s.events), when(s.first_at), when(s.last_at)] for s in items]
    return columns(rows, ["SESSION", "ACTOR", "EVENTS", "FIRST", "LAST"])


def sessions(
    name: Annotated[str, typer.Argument(help="Agent name.")],
    actor: ActorOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List an agent's memory sessions, most recent first."""
    from nexus_cli import output
    from nexus_cli.context import provider, use_json

    use_json(json_)
    output.emit(provider().memory_sessions(name, actor), _render)
