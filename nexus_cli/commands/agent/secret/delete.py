"""``nexus ai agent secret delete NAME KEY``: remove a secret, restart the replicas."""

from __future__ import annotations

from typing import Annotated

import typer

from nexus_cli import completion
from nexus_cli.commands._options import AgentArg, EnvOpt, JsonOpt


def delete(
    name: AgentArg,
    key: Annotated[
        str, typer.Argument(help="Variable name.", autocompletion=completion.secret_keys)
    ],
    env: EnvOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Delete a secret (the agent-wide one, or one --env's); running replicas restart."""
    from nexus.ai.spec import check_secret_name
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.commands.agent.secret.set import render
    from nexus_cli.context import provider
    from nexus_cli.errors import checked

    begin(json_, name, env)
    checked(check_secret_name, key)
    with output.progress(f"Deleting {key} of {name}"):
        change = provider(env).secret_delete(name, key, env)
    completion.change_secret(name, key, present=False)
    output.emit(change, render)
