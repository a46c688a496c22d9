"""The selected agent's tabs (Agent, Logs, Tasks, Traces, Memory), built and mounted after
the dashboard's first frame: that frame is the agent rows only, and this module (with the
modules of the widgets only the tabs use) is imported then."""

from __future__ import annotations

from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Input, RichLog, Static, TabbedContent, TabPane, Tree


class Details(TabbedContent):
    """The tabs, which say when they are mounted (the dashboard starts reading then)."""

    class Ready(Message):
        pass

    def on_mount(self) -> None:
        self.post_message(self.Ready())


def build() -> Details:
    tabs = Details(initial="agent")
    for pane in (
        TabPane("Agent", Static("Loading…", id="status"), id="agent"),
        TabPane(
            "Logs",
            Horizontal(
                Static("", id="log-state"),
                Input(placeholder="/ to search the logs", id="log-search"),
                id="log-bar",
            ),
            RichLog(id="logs", wrap=False, markup=False),
            id="logs-tab",
        ),
        TabPane("Tasks", DataTable(id="tasks", cursor_type="row"), id="tasks-tab"),
        TabPane(
            "Traces",
            Horizontal(
                DataTable(id="traces", cursor_type="row"), Tree("no trace selected", id="spans")
            ),
            id="traces-tab",
        ),
        TabPane(
            "Memory",
            Horizontal(
                DataTable(id="sessions", cursor_type="row"),
                DataTable(id="records", cursor_type="row"),
            ),
            id="memory-tab",
        ),
    ):
        tabs.compose_add_child(pane)  # as `with Details(): ...` in a compose() would
    return tabs
