"""``nexus ai agent task``: one command per verb module, imported when it is used."""

from __future__ import annotations

from nexus_cli.commands._group import Lazy, group

_HERE = "nexus_cli.commands.agent.task"

app = group(
    "Tasks queued with `nexus ai agent run --async`.",
    lazy={
        "status": Lazy(
            f"{_HERE}.status:status",
            "Show a task's status, progress and result (--wait: until it ends).",
        ),
        "list": Lazy(f"{_HERE}.list:list_tasks", "List the agent's latest tasks, newest first."),
        "cancel": Lazy(
            f"{_HERE}.cancel:cancel",
            "Cancel a pending or running task (its result, if any, is dropped).",
        ),
        "retry": Lazy(
            f"{_HERE}.retry:retry",
            "Queue a dead, failed or cancelled task again (its attempts start afresh).",
        ),
    },
)

__all__ = ["app"]
