"""``nexus ai agent rollback NAME``: re-point an environment to an earlier version."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from nexus_cli.commands._options import EnvOpt, JsonOpt

if TYPE_CHECKING:
    from nexus_cli.providers.base import DeployResult, Provider


def _render(result: DeployResult) -> str:
    healthy = sum(1 for r in result.replicas if r.state == "healthy")
    return (
        f"Rolled back {result.name} in {result.env} to {result.version.label} "
        f"(revision {result.version.revision}): {healthy}/{len(result.replicas)} replicas healthy"
    )


def _only_env(chosen: Provider, name: str) -> str:
    """The environment to roll back when --env is not given: the only one deployed."""
    from nexus_cli.errors import UsageError

    deployed = [e.env for e in chosen.status(name, None).environments if e.revision is not None]
    if len(deployed) == 1:
        return deployed[0]
    if not deployed:
        raise UsageError(f"{name} is not deployed to any environment", hint=None)
    raise UsageError(
        f"{name} is deployed to {', '.join(deployed)}: say which one to roll back",
        hint=f"nexus ai agent rollback {name} --env {deployed[0]}",
    )


def rollback(
    name: Annotated[str, typer.Argument(help="Agent name.")],
    version: Annotated[
        str | None,
        typer.Option(
            "--version", "-v", help="Version label (1.2.3) or revision (r3); default: previous."
        ),
    ] = None,
    env: EnvOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Roll an environment back to the previous version, or to --version."""
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider

    begin(json_, name, env)
    chosen = provider()
    target_env = env or _only_env(chosen, name)
    with output.progress(f"Rolling back {name} in {target_env}"):
        result = chosen.rollback(name, target_env, version)
    output.emit(result, _render)
