"""``nexus ai gateway quota show NAME``: an agent's limits at the gateway."""

from __future__ import annotations

from nexus_cli.commands._options import JsonOpt
from nexus_cli.commands.gateway.quota._common import EnvOpt, NameArg


def show_quota(name: NameArg, env: EnvOpt = "development", json_: JsonOpt = False) -> None:
    """Show an agent's limits at the gateway."""
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.commands.gateway.quota._common import render
    from nexus_cli.context import provider

    begin(json_, name, env)
    output.emit(provider().gateway_quota(name, env, None), render)
