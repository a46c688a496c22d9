"""``nexus ai agent task retry TASK_ID``."""

from __future__ import annotations

from typing import Annotated

import typer

from nexus_cli import completion
from nexus_cli.commands._options import JsonOpt


def retry(
    task_id: Annotated[str, typer.Argument(help="Task id.", autocompletion=completion.task_ids)],
    json_: JsonOpt = False,
) -> None:
    """Queue a dead, failed or cancelled task again (its attempts start afresh)."""
    from nexus_cli import output
    from nexus_cli.commands.agent.task.status import render
    from nexus_cli.context import provider, use_json

    use_json(json_)
    output.emit(provider().task_retry(task_id), render)
