"""``nexus ai agent authorizer show NAME``: the external issuer the agent trusts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nexus_cli.commands._options import AgentArg, JsonOpt

if TYPE_CHECKING:
    from nexus_api.identity import AuthorizerInfo


def render(info: AuthorizerInfo) -> str:
    if info.deleted:
        return f"{info.agent} no longer trusts an external issuer."
    lines = [
        f"{info.agent} accepts tokens of {info.issuer}",
        f"  discovery:  {info.discovery_url}",
        f"  audiences:  {', '.join(info.audiences) or '(any)'}",
        f"  clients:    {', '.join(info.clients) or '(any)'}",
        f"  algorithms: {', '.join(info.algorithms)}; keys: {', '.join(info.key_ids) or 'none'}",
    ]
    return "\n".join(lines)


def show(
    name: AgentArg,
    json_: JsonOpt = False,
) -> None:
    """Show the external OIDC issuer whose tokens may call the agent."""
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider

    begin(json_, name)
    output.emit(provider().authorizer_get(name), render)
