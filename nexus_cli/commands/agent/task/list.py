"""``nexus ai agent task list NAME``: the agent's latest tasks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from nexus_cli import completion
from nexus_cli.commands._options import AgentArg, JsonOpt

if TYPE_CHECKING:
    from nexus_api.models import Task


def _render(tasks: list[Task]) -> Any:
    from rich.table import Table

    from nexus_cli.commands._cells import ago

    if not tasks:
        return "No tasks yet: nexus ai agent run NAME INPUT --async"
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("TASK", "STATUS", "PROGRESS", "ATTEMPT", "ENV", "CREATED"):
        table.add_column(column)
    for t in tasks:
        table.add_row(
            t.task_id, t.status, f"{t.progress}%", str(t.attempt), t.env or "-", ago(t.created_at)
        )
    return table


def list_tasks(
    name: AgentArg,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only tasks in this state: pending, running, succeeded, failed, cancelled "
            "or dead (out of attempts; queue one again with `task retry ID`).",
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """List the agent's latest tasks, newest first."""
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider

    begin(json_, name)
    tasks = provider().tasks(name, status)
    completion.add_tasks([t.task_id for t in tasks])
    output.emit(tasks, _render)
