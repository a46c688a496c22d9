"""``nexus ai agent authorizer delete NAME``: stop trusting the external issuer."""

from __future__ import annotations

from nexus_cli.commands._options import AgentArg, JsonOpt


def delete(
    name: AgentArg,
    json_: JsonOpt = False,
) -> None:
    """Stop accepting the external issuer's tokens for the agent."""
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.commands.agent.authorizer.show import render
    from nexus_cli.context import provider

    begin(json_, name)
    output.emit(provider().authorizer_delete(name), render)
