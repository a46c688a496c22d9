"""``nexus ai agent credential delete NAME CRED``: forget an outbound credential."""

from __future__ import annotations

from typing import Annotated

import typer

from nexus_cli.commands._options import AgentArg, JsonOpt


def delete(
    name: AgentArg,
    credential: Annotated[str, typer.Argument(help="Credential name.")],
    json_: JsonOpt = False,
) -> None:
    """Delete an outbound credential of the agent."""
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.commands.agent.credential.set import render
    from nexus_cli.context import provider

    begin(json_, name)
    output.emit(provider().credential_delete(name, credential), render)
