"""``nexus ai agent memory show NAME SESSION [--actor A]``: a session's events."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from nexus_cli.commands._options import JsonOpt
from nexus_cli.commands.agent.memory._common import ActorOpt

if TYPE_CHECKING:
    from nexus_api.memory import Event


def _render(items: list[Event]) -> str:
    from nexus_cli.commands.agent.memory._common import when

    lines = []
    for e in items:
        what = f"{e.role}: {e.text}" if e.role else "payload: " + json.dumps(e.payload)
        lines.append(f"{when(e.at)}  {what}")
    return "\n".join(lines)


def show(
    name: Annotated[str, typer.Argument(help="Agent name.")],
    session: Annotated[str, typer.Argument(help="Session id.")],
    actor: ActorOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show a session's turns and payloads, oldest first."""
    from nexus_cli import output
    from nexus_cli.commands.agent.memory._common import actor_of
    from nexus_cli.context import provider, use_json

    use_json(json_)
    p = provider()
    output.emit(p.memory_events(name, session, actor_of(p, name, session, actor)), _render)
