"""``nexus ai agent task status TASK_ID``: where a queued run is, and its result."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from nexus_cli import completion
from nexus_cli.commands._options import JsonOpt

if TYPE_CHECKING:
    from nexus_api.models import Task

FINAL = ("succeeded", "failed", "cancelled", "dead")


def render(task: Task) -> Any:
    import json

    lines = [f"{task.task_id}  {task.status}  progress {task.progress}%  attempt {task.attempt}"]
    if task.metadata:
        lines[0] += f"  tokens {task.metadata.get('tokens_used', 0)}"
    if task.error:
        lines.append(f"error: {task.error}")
    if task.result is not None:
        shown = task.result if isinstance(task.result, str) else json.dumps(task.result, indent=2)
        lines.append(shown)
    for d in task.deliveries:
        if d.delivered_at:
            state = "delivered"
        elif d.failed_at:
            state = "given up"
        else:
            state = "retrying"
        said = f"webhook {d.webhook_id} to {d.url}: {state} after {d.attempts} attempt(s)"
        lines.append(said + (f", last error: {d.last_error}" if d.last_error else ""))
    return "\n".join(lines)


def status(
    task_id: Annotated[
        str,
        typer.Argument(
            help="Task id, e.g. task_0123456789abcdef.", autocompletion=completion.task_ids
        ),
    ],
    wait: Annotated[
        bool, typer.Option("--wait", "-w", help="Wait until the task has ended.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Show a task's status, progress and result (--wait: until it ends)."""
    import time

    from nexus_cli import output
    from nexus_cli.context import provider, use_json

    use_json(json_)
    chosen = provider()
    task = chosen.task(task_id)
    completion.add_tasks([task.task_id])
    if wait:
        with output.progress(f"Waiting for {task_id}") as update:
            while task.status not in FINAL:
                update(f"{task.status}, {task.progress}%")
                time.sleep(0.2)
                task = chosen.task(task_id)
    output.emit(task, render)
    if task.status == "failed":
        raise typer.Exit(1)
