"""``nexus ai dashboard``: agents per environment, live, and one agent's logs, tasks,
traces and memory; scale, roll back, restart and delete with confirmation.

Reads and acts through the provider, like every other command, in worker
threads (provider calls are blocking HTTP); nothing here talks to Docker or the
emulator directly. Reading: ``data.py``; text: ``render.py``; tables: ``panes.py``;
dialogs: ``modals.py``; actions: ``actions.py``.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import get_current_worker

from nexus_cli.errors import NexusError
from nexus_cli.providers.base import Provider
from nexus_cli.tui import panes
from nexus_cli.tui.actions import Actions
from nexus_cli.tui.data import (
    LEVELS,
    Detail,
    LogFilter,
    Row,
    fetch_agents,
    fetch_detail,
    listed_rows,
)
from nexus_cli.tui.modals import MODAL_CSS, Help
from nexus_cli.tui.render import agent_view, log_line, row_cells

if TYPE_CHECKING:
    from nexus_cli.tui.tabs import Details

TABS = ("agent", "logs", "tasks", "traces", "memory")


class Dashboard(Actions):
    TITLE = "Nexus"
    CSS = (
        MODAL_CSS
        + """
    #filter { height: 1; border: none; padding: 0 1; }
    #agents { height: 40%; }
    TabbedContent { height: 1fr; }
    #status { padding: 0 1; }
    #log-bar { height: 1; }
    #log-state { width: auto; padding: 0 1; }
    #log-search { height: 1; border: none; width: 1fr; }
    #traces, #sessions { width: 1fr; }
    #spans, #records { width: 1fr; border-left: solid $secondary; }
    """
    )
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("slash", "filter", "Filter"),
        Binding("question_mark", "help", "Help"),
        Binding("s", "scale", "Scale"),
        Binding("b", "rollback", "Rollback"),
        Binding("R", "restart", "Restart"),
        Binding("D", "delete", "Delete"),
        Binding("c", "cancel_task", "Cancel task", show=False),
        Binding("v", "level", "Level", show=False),
        Binding("f", "follow", "Follow", show=False),
        Binding("r", "refresh", "Refresh", show=False),
        Binding("l", "tab('logs')", "Logs", show=False),
        *(
            Binding(str(i + 1), f"tab('{tab}')", tab.title(), show=False)
            for i, tab in enumerate(TABS)
        ),
        Binding("escape", "unfocus", "Back", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        provider: Provider,
        interval: float = 2.0,
        *,
        readonly: bool = False,
        clock: Callable[[], float] = time.time,
        listed: Future[list[dict[str, Any]]] | None = None,
    ) -> None:
        super().__init__()
        self.provider = provider
        self.interval = interval
        self.readonly = readonly
        self.clock = clock
        self.listed = listed  # the agent list the command started reading (start_listing)
        self.rows: list[Row] = []
        self.selected: str | None = None  # the selected row's key: agent/env
        self.detail: Detail | None = None
        self.logs = LogFilter()
        self.follow = True
        self.trace_id: str | None = None
        self.filter_text = ""
        self.rates: dict[str, list[float]] = {}
        self.loads = 0  # passes completed (tests and the bench wait on it)
        self.ready = False  # the tabs are mounted (after the first frame)
        self._last_pass = 0.0
        self._shown_logs: list[str] = []

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="main"):
            yield Input(placeholder="/ to filter agents", id="filter")
            yield DataTable(id="agents", cursor_type="row", zebra_stripes=True)
            # the tabs follow once the first frame is out (mount_tabs)
        yield Footer()

    def on_mount(self) -> None:
        panes.columns(self.table("agents"), *panes.AGENT_COLUMNS)
        self.sub_title = "read-only" if self.readonly else ""
        self.table("agents").focus()
        if self.listed is not None and self.listed.done() and self.listed.exception() is None:
            self.show_rows(listed_rows(self.listed.result()))  # in the first frame
        self.call_after_refresh(self.mount_tabs)

    async def mount_tabs(self) -> None:
        from nexus_cli.tui import tabs

        await self.query_one("#main", Vertical).mount(tabs.build())

    def on_details_ready(self, _: Details.Ready) -> None:
        """The tabs are mounted: start reading (statuses, metrics, the selected agent) now,
        so that reading and its imports did not hold the first frame back."""
        for table, names in panes.DETAIL_COLUMNS.items():
            panes.columns(self.table(table), *names)
        self.show_log_state()
        if not gc.isenabled():  # the command turned it off for the start (dashboard.py)
            gc.freeze()  # what the start made stays: later passes need not look at it
            gc.enable()
        self.ready = True
        self.refresh_bindings()
        self.action_refresh()
        self.set_interval(self.interval, self.action_refresh)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Until the tabs are mounted, only what needs none of them.
        return self.ready or action in ("quit", "help", "command_palette")

    # ------------------------------------------------------------ reading

    def action_refresh(self) -> None:
        if not self.ready:
            return  # the tabs' mounting starts the first read
        self.load(self.selected, LogFilter(self.logs.level, self.logs.search), self.trace_id)

    @work(thread=True, exclusive=True, group="load")
    def load(self, selected: str | None, logs: LogFilter, trace_id: str | None) -> None:
        now = time.monotonic()
        elapsed = now - self._last_pass if self._last_pass else 0.0
        listed, self.listed = self.listed, None
        try:
            summaries = listed.result() if listed else self.provider.list_agents_data()
            if not self.rows:  # the first paint: names and versions before the rest
                self.call_from_thread(self.show_rows, listed_rows(summaries))
            names = [str(a["name"]) for a in summaries]
            rows = fetch_agents(
                self.provider, names, {r.key: r for r in self.rows if r.known}, elapsed
            )
        except NexusError as exc:
            self.call_from_thread(self.show_error, exc)
            return
        self._last_pass = now
        self.call_from_thread(self.show_rows, rows)
        agent = (selected or (rows[0].key if rows else "")).split("/", 1)[0]
        detail = fetch_detail(self.provider, agent, logs, trace_id) if agent else None
        if get_current_worker().is_cancelled:
            return  # a newer read (another search, another agent) draws instead of this one
        self.call_from_thread(self.show_detail, detail)

    def show_rows(self, rows: list[Row]) -> None:
        self.rows = rows
        for row in rows:
            if row.known and row.rps is not None:
                self.rates.setdefault(row.key, []).append(row.rps)
                del self.rates[row.key][:-60]
        shown = [r for r in rows if self.filter_text.lower() in r.agent.lower()]
        panes.refill(self.table("agents"), [(r.key, row_cells(r)) for r in shown])
        if self.selected not in {r.key for r in shown}:
            self.selected = shown[0].key if shown else None
        agents = len({r.agent for r in rows})
        self.sub_title = f"{agents} agent(s)" + (" · read-only" if self.readonly else "")

    def show_detail(self, detail: Detail | None) -> None:
        from textual.widgets import RichLog, Tree  # loaded with the tabs (tabs.py)

        self.loads += 1
        self.detail = detail
        status = self.query_one("#status", Static)
        if detail is None:
            status.update(
                "No agents yet.\nnexus ai agent init my-agent && nexus ai agent deploy my-agent"
            )
            return
        now = self.clock()
        status.update(agent_view(detail, now, self.rates.get(self.selected or "", [])))
        lines = [log_line(rec, self.logs.search) for rec in detail.logs]
        plain = [line.plain for line in lines]
        if plain != self._shown_logs:
            log = self.query_one("#logs", RichLog)
            log.clear()
            for line in lines:
                log.write(line, scroll_end=self.follow)
            self._shown_logs = plain
        panes.refill(self.table("tasks"), panes.task_rows(detail.tasks, now))
        panes.refill(self.table("traces"), panes.trace_rows(detail.traces, now))
        panes.draw_trace(self.query_one("#spans", Tree), detail.trace)
        panes.refill(self.table("sessions"), panes.session_rows(detail.sessions, now))
        panes.refill(self.table("records"), panes.record_rows(detail.records, now))

    def show_error(self, exc: NexusError) -> None:
        self.loads += 1
        hint = f"\n{exc.hint}" if exc.hint else ""
        self.query_one("#status", Static).update(f"[red]{exc.message}[/red]{hint}")

    def show_log_state(self) -> None:
        follow = "following" if self.follow else "paused"
        self.query_one("#log-state", Static).update(f"level ≥ {self.logs.level} · {follow}")

    # ------------------------------------------------------------ navigation

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        if key is None:
            return
        if event.data_table.id == "agents" and key != self.selected:
            changed_agent = key.split("/", 1)[0] != self.agent
            self.selected = str(key)
            if changed_agent:
                self.trace_id = None
                self._shown_logs = []
            self.action_refresh()
        elif event.data_table.id == "traces" and key != self.trace_id:
            self.trace_id = str(key)
            drawn = self.detail.trace if self.detail else None
            if drawn is None or drawn.trace_id != key:
                self.action_refresh()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.filter_text = event.value.strip()
            self.show_rows(self.rows)
        elif event.input.id == "log-search":
            self.logs.search = event.value.strip()
            self.action_refresh()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_unfocus()

    def action_filter(self) -> None:
        from nexus_cli.tui import tabs

        shown = self.query_one(tabs.Details).active
        target = "#log-search" if shown == "logs-tab" else "#filter"
        self.query_one(target, Input).focus()

    def action_unfocus(self) -> None:
        self.table("agents").focus()

    def action_tab(self, tab: str) -> None:
        from nexus_cli.tui import tabs

        self.query_one(tabs.Details).active = tab if tab == "agent" else f"{tab}-tab"

    def action_level(self) -> None:
        self.logs.level = LEVELS[(LEVELS.index(self.logs.level) + 1) % len(LEVELS)]
        self.show_log_state()
        self.action_refresh()

    def action_follow(self) -> None:
        self.follow = not self.follow
        from textual.widgets import RichLog

        self.query_one("#logs", RichLog).auto_scroll = self.follow
        self.show_log_state()

    def action_help(self) -> None:
        self.push_screen(Help())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        what = f"{self.agent} in {self.env}" if self.env else "the selected agent"
        yield SystemCommand("Scale", f"Set the replica count of {what}", self.action_scale)
        yield SystemCommand(
            "Roll back", f"Serve an earlier version of {what}", self.action_rollback
        )
        yield SystemCommand("Restart", f"New replicas of {what}", self.action_restart)
        yield SystemCommand(
            "Delete", f"Delete {self.agent or 'the selected agent'}", self.action_delete
        )
        yield SystemCommand("Logs level", "Next lowest log level shown", self.action_level)
        yield SystemCommand("Help", "Keys and actions", self.action_help)
