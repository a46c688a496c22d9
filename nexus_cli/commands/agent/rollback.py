"""``nexus ai agent rollback NAME``: re-point an environment to an earlier version."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from nexus_cli import completion
from nexus_cli.commands._options import AgentArg, EnvOpt, JsonOpt

if TYPE_CHECKING:
    from nexus_api.models import DeployResult


def _render(result: DeployResult) -> str:
    healthy = sum(1 for r in result.replicas if r.state == "healthy")
    return (
        f"Rolled back {result.name} in {result.env} to {result.version.label} "
        f"(revision {result.version.revision}): {healthy}/{len(result.replicas)} replicas healthy"
    )


def rollback(
    name: AgentArg,
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            "-v",
            help="Version label (1.2.3) or revision (r3); default: previous.",
            autocompletion=completion.versions,
        ),
    ] = None,
    env: EnvOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Roll an environment back to the previous version, or to --version.

    Without --env: the only environment deployed, else the one deployed to (or
    rolled back) last, named on stderr.
    """
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin, default_env
    from nexus_cli.context import provider

    begin(json_, name, env)
    chosen = provider(env)
    target_env = env or default_env(chosen, name, "rollback")
    with output.progress(f"Rolling back {name} in {target_env}"):
        result = chosen.rollback(name, target_env, version)
    output.emit(result, _render)
