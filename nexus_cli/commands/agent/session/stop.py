"""``nexus ai agent session stop NAME ID``: end a session, destroying its replica."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from nexus_cli.commands._options import AgentArg, JsonOpt

if TYPE_CHECKING:
    from nexus_api.models import IsolatedSession


def render(s: IsolatedSession) -> str:
    return (
        f"Session {s.id} of {s.agent} ended: replica {s.replica.id[:12]} and its files "
        "are destroyed."
    )


def stop(
    name: AgentArg,
    session: Annotated[str, typer.Argument(help="The session id (see: nexus ai agent sessions).")],
    json_: JsonOpt = False,
) -> None:
    """End a session now: its replica is destroyed with its filesystem."""
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider

    begin(json_, name)
    output.emit(provider().session_stop(name, session), render)
