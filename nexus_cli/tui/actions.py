"""The dashboard's actions: scale, roll back, restart, delete, cancel a task.

Each asks first (a dialog), then calls the provider in a worker thread and says
how it went in a notification; ``--readonly`` refuses them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import work
from textual.app import App
from textual.widgets import DataTable

from nexus_cli.errors import NexusError
from nexus_cli.providers.base import Provider
from nexus_cli.tui import panes
from nexus_cli.tui.data import Detail, Row
from nexus_cli.tui.modals import AskReplicas, Confirm, PickVersion


class Actions(App[None]):
    """The dashboard's actions on what it selected (``Dashboard`` sets these)."""

    provider: Provider
    readonly: bool
    rows: list[Row]
    selected: str | None  # the selected row's key: agent/env
    detail: Detail | None

    @property
    def agent(self) -> str | None:
        return self.selected.split("/", 1)[0] if self.selected else None

    @property
    def env(self) -> str | None:
        env = self.selected.split("/", 1)[1] if self.selected else None
        return None if env == "-" else env

    def table(self, name: str) -> DataTable[str]:
        return self.query_one(f"#{name}", DataTable)

    def action_refresh(self) -> None:
        raise NotImplementedError

    def allowed(self, what: str) -> bool:
        if self.readonly:
            self.notify(f"read-only dashboard: {what} is off", severity="warning")
            return False
        if self.agent is None:
            self.notify("select an agent first", severity="warning")
            return False
        return True

    def target(self, what: str) -> tuple[str, str] | None:
        """The selected agent and environment, when ``what`` may act on them."""
        if not self.allowed(what):
            return None
        if self.env is None:
            self.notify(f"{self.agent} is not deployed: nothing to {what}", severity="warning")
            return None
        assert self.agent is not None
        return self.agent, self.env

    @work(thread=True, group="action")
    def perform(self, doing: str, call: Callable[[], Any], done: str) -> None:
        try:
            call()
        except NexusError as exc:
            hint = f" ({exc.hint})" if exc.hint else ""
            self.call_from_thread(
                self.notify, f"{doing} failed: {exc.message}{hint}", severity="error", timeout=10
            )
        else:
            self.call_from_thread(self.notify, done)
        self.call_from_thread(self.action_refresh)

    def action_scale(self) -> None:
        chosen = self.target("scale")
        if chosen is None:
            return
        agent, env = chosen
        row = next((r for r in self.rows if r.key == self.selected), None)

        def answered(replicas: int | None) -> None:
            if replicas is not None:
                self.notify(f"scaling {agent} in {env} to {replicas}…")
                self.perform(
                    "scale",
                    lambda: self.provider.scale(agent, env, replicas, None),
                    f"{agent} in {env}: {replicas} replica(s)",
                )

        self.push_screen(
            AskReplicas(f"Replicas of {agent} in {env}:", row.desired if row else 1), answered
        )

    def action_rollback(self) -> None:
        chosen = self.target("roll back")
        if chosen is None:
            return
        agent, env = chosen
        history = self.detail.history if self.detail and self.detail.name == agent else None
        serving = next((r.version for r in self.rows if r.key == self.selected), None)
        versions = [
            (f"r{v.revision}", f"{v.label} (r{v.revision})  {', '.join(v.live_in) or ''}")
            for v in (history.versions if history else [])[::-1]
            if not (env in v.live_in and v.label == serving)
        ]
        if not versions:
            self.notify(f"{agent} has no other version to roll back to", severity="warning")
            return

        def answered(version: str | None) -> None:
            if version is not None:
                self.notify(f"rolling {agent} back in {env} to {version}…")
                self.perform(
                    "rollback",
                    lambda: self.provider.rollback(agent, env, version),
                    f"{agent} in {env} serves {version}",
                )

        self.push_screen(PickVersion(f"Roll {agent} back in {env} to:", versions), answered)

    def action_restart(self) -> None:
        chosen = self.target("restart")
        if chosen is None:
            return
        agent, env = chosen

        def answered(yes: bool | None) -> None:
            if yes:
                self.notify(f"restarting {agent} in {env}…")
                self.perform(
                    "restart",
                    lambda: self.provider.restart(agent, env),
                    f"{agent} in {env}: new replicas serving",
                )

        self.push_screen(
            Confirm(f"Restart {agent} in {env}? (new replicas, same version)"), answered
        )

    def action_delete(self) -> None:
        if not self.allowed("delete"):
            return
        agent = self.agent
        assert agent is not None

        def answered(yes: bool | None) -> None:
            if yes:
                self.notify(f"deleting {agent}…")
                self.perform("delete", lambda: self.provider.delete(agent), f"{agent} deleted")

        self.push_screen(
            Confirm(f"Delete {agent}? Every environment, version and secret goes."), answered
        )

    def action_cancel_task(self) -> None:
        if not self.allowed("cancel"):
            return
        task = panes.selected_key(self.table("tasks"))
        if task is None:
            self.notify("select a task on the Tasks tab first", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.perform(
                    "cancel", lambda: self.provider.task_cancel(task), f"task {task} cancelled"
                )

        self.push_screen(Confirm(f"Cancel task {task}?"), answered)
