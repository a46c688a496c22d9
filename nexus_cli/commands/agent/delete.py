"""``nexus ai agent delete NAME``: remove an agent, its versions and replicas."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nexus_cli.commands._options import AgentArg, JsonOpt, YesOpt

if TYPE_CHECKING:
    from nexus_api.models import DeleteResult


def _render(result: DeleteResult) -> str:
    return f"Deleted {result.name}." if result.deleted else f"{result.name} was not deleted."


def delete(
    name: AgentArg,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Delete an agent in every environment, with all its versions."""
    import sys

    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider
    from nexus_cli.errors import Cancelled, UsageError

    begin(json_, name)
    if not yes:
        if not output.is_terminal(sys.stdin):
            raise UsageError(
                f"refusing to delete {name} without confirmation (no terminal to ask on)",
                hint=f"pass --yes to confirm: nexus ai agent delete {name} --yes",
            )
        if not output.confirm(f"Delete {name} with all its versions and replicas?"):
            raise Cancelled(f"cancelled: {name} was not deleted")
    from nexus_cli import completion

    result = provider().delete(name)
    completion.forget_agent(name)
    output.emit(result, _render)
