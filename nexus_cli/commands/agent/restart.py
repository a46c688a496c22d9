"""``nexus ai agent restart NAME``: new replicas of the version serving."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nexus_cli.commands._options import AgentArg, EnvOpt, JsonOpt

if TYPE_CHECKING:
    from nexus_api.models import AgentStatus


def _render(status: AgentStatus) -> str:
    env = status.environments[0]
    healthy = sum(1 for r in env.replicas if r.state == "healthy")
    return (
        f"Restarted {status.name} in {env.env}: {env.version} on "
        f"{healthy}/{env.replicas_desired} new replicas healthy"
    )


def restart(name: AgentArg, env: EnvOpt = None, json_: JsonOpt = False) -> None:
    """Replace an environment's replicas with new ones of the same version.

    The new replicas are switched to only once healthy, as in a deploy. Without
    --env: the only environment deployed, else the one deployed to last.
    """
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin, default_env
    from nexus_cli.context import provider

    begin(json_, name, env)
    chosen = provider(env)
    target_env = env or default_env(chosen, name, "restart")
    with output.progress(f"Restarting {name} in {target_env}"):
        result = chosen.restart(name, target_env)
    output.emit(result, _render)
