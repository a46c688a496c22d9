"""``nexus ai agent scale NAME``: set the replica count, or turn autoscaling on or off."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from nexus_cli.commands._options import AgentArg, EnvOpt, JsonOpt

if TYPE_CHECKING:
    from nexus_api.models import AgentStatus


class OnOff(StrEnum):
    on = "on"
    off = "off"


def _render(status: AgentStatus) -> str:
    env = status.environments[0]
    healthy = sum(1 for r in env.replicas if r.state == "healthy")
    auto = "on" if env.autoscale else "off"
    return (
        f"Scaled {status.name} in {env.env}: {healthy}/{env.replicas_desired} replicas healthy, "
        f"autoscale {auto}"
    )


def scale(
    name: AgentArg,
    replicas: Annotated[
        int | None,
        typer.Option(
            "--replicas", "-r", help="Number of replicas (within the environment's bounds).", min=1
        ),
    ] = None,
    autoscale: Annotated[
        OnOff | None,
        typer.Option("--autoscale", help="on: follow the load within the environment's bounds."),
    ] = None,
    env: EnvOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Scale an environment now (--replicas), or let the load decide (--autoscale on).

    Without --env: the only environment deployed, else the one deployed to (or
    rolled back) last, named on stderr.
    """
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin, default_env
    from nexus_cli.context import provider
    from nexus_cli.errors import UsageError, checked

    begin(json_, name, env)
    if replicas is None and autoscale is None:
        raise UsageError(
            "say how to scale",
            hint=f"nexus ai agent scale {name} --replicas 3  # or --autoscale on",
        )
    chosen = provider(env)
    target_env = env or default_env(chosen, name, "scale")
    if replicas is not None:
        from nexus.ai.spec import check_replicas

        checked(check_replicas, target_env, replicas)
    auto = None if autoscale is None else autoscale is OnOff.on
    with output.progress(f"Scaling {name} in {target_env}"):
        result = chosen.scale(name, target_env, replicas, auto)
    output.emit(result, _render)
