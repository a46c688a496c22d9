"""``nexus ai agent list``: every agent and the version each environment serves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nexus_cli.commands._options import JsonOpt

if TYPE_CHECKING:
    from nexus_api.models import AgentSummary


def _render(agents: list[AgentSummary]) -> Any:
    from rich.table import Table

    from nexus.ai.spec import ENVIRONMENTS
    from nexus_cli.commands.agent._common import ago

    if not agents:
        return "No agents yet. Create one with: nexus ai agent init my-agent"
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("NAME", no_wrap=True)
    for env in ENVIRONMENTS:
        table.add_column(env.upper(), no_wrap=True)
    table.add_column("VERSIONS", justify="right")
    table.add_column("UPDATED", no_wrap=True)
    for agent in agents:
        table.add_row(
            agent.name,
            *[agent.environments.get(env) or "-" for env in ENVIRONMENTS],
            str(agent.versions),
            ago(agent.updated_at),
        )
    return table


def list_agents(json_: JsonOpt = False) -> None:
    """List agents and the version each environment serves."""
    from nexus_cli import output
    from nexus_cli.context import provider, use_json

    use_json(json_)
    output.emit(provider().list_agents(), _render)
