"""``nexus ai agent list``: every agent and the version each environment serves."""

from __future__ import annotations

from typing import Any

from nexus_cli.commands._options import JsonOpt


def render(agents: list[dict[str, Any]]) -> str:
    """The table of ``AgentSummary`` JSON objects (plain text: no Rich needed)."""
    from nexus.ai.spec import ENVIRONMENTS
    from nexus_cli import output
    from nexus_cli.commands._cells import ago

    if not agents:
        return "No agents yet. Create one with: nexus ai agent init my-agent"
    header = ["NAME", *(env.upper() for env in ENVIRONMENTS), "VERSIONS", "UPDATED"]
    rows = [
        [
            agent["name"],
            *(agent["environments"].get(env) or "-" for env in ENVIRONMENTS),
            str(agent["versions"]),
            ago(agent.get("updated_at")),
        ]
        for agent in agents
    ]
    return output.columns(rows, header, right=frozenset({len(ENVIRONMENTS) + 1}))


def list_agents(json_: JsonOpt = False) -> None:
    """List agents and the version each environment serves."""
    from nexus_cli import output
    from nexus_cli.context import provider, use_json

    use_json(json_)
    from nexus_cli import completion

    agents = provider().list_agents_data()
    completion.remember_agents([a["name"] for a in agents])
    output.emit(agents, render)
