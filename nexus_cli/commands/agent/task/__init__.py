"""``nexus ai agent task``: registers one command per verb module."""

from __future__ import annotations

from nexus_cli.commands._group import group
from nexus_cli.commands.agent.task.cancel import cancel
from nexus_cli.commands.agent.task.list import list_tasks
from nexus_cli.commands.agent.task.retry import retry
from nexus_cli.commands.agent.task.status import status

app = group("Tasks queued with `nexus ai agent run --async`.")
app.command("status")(status)
app.command("list")(list_tasks)
app.command("cancel")(cancel)
app.command("retry")(retry)

__all__ = ["app"]
