"""``nexus ai dashboard``: agents, their environments and replicas, and recent logs.

Reads everything through the provider, like every other command, and refreshes
on a timer; nothing here talks to Docker or the emulator directly.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Log, Static

from nexus_api.models import AgentStatus, AgentSummary
from nexus_cli.errors import NexusError
from nexus_cli.providers.base import LogQuery, Provider


def status_lines(status: AgentStatus) -> str:
    lines = []
    for env in status.environments:
        healthy = sum(r.state == "healthy" for r in env.replicas)
        auto = ", autoscale on" if env.autoscale else ""
        lines.append(
            f"[b]{env.env}[/b]  {env.version} (r{env.revision})  "
            f"{healthy}/{env.replicas_desired} healthy{auto}  "
            f"cpu {env.resources.cpu}  memory {env.resources.memory}"
        )
        for r in env.replicas:
            lines.append(f"    {r.id[:12]:<12}  {r.state:<9}  {r.endpoint or ''}")
    return "\n".join(lines) or "not deployed"


class Dashboard(App[None]):
    TITLE = "Nexus"
    CSS = """
    #agents { height: 40%; }
    #status { height: auto; max-height: 30%; padding: 0 1; border: round $accent; }
    #logs { border: round $secondary; }
    """
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("l", "toggle_logs", "Logs", id="logs"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(self, provider: Provider, interval: float = 2.0) -> None:
        super().__init__()
        self.provider = provider
        self.interval = interval
        self.selected: str | None = None
        self.agents: list[AgentSummary] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield DataTable(id="agents", cursor_type="row", zebra_stripes=True)
            yield Static("Select an agent.", id="status")
            yield Log(id="logs", highlight=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#agents", DataTable)
        table.add_columns("AGENT", "DEVELOPMENT", "STAGING", "PRODUCTION", "VERSIONS")
        self.action_refresh()
        self.set_interval(self.interval, self.action_refresh)

    def action_refresh(self) -> None:
        self.load()

    def action_toggle_logs(self) -> None:
        logs = self.query_one("#logs", Log)
        logs.display = not logs.display

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        """Provider calls are blocking HTTP: run them in a worker thread."""
        try:
            agents = self.provider.list_agents()
            status = self.provider.status(self.selected, None) if self.selected else None
            lines = (
                list(self.provider.logs(self.selected, LogQuery(tail=20))) if self.selected else []
            )
        except NexusError as exc:
            self.call_from_thread(self.show_error, exc)
            return
        self.call_from_thread(self.show, agents, status, lines)

    def show(
        self, agents: list[AgentSummary], status: AgentStatus | None, lines: list[dict[str, Any]]
    ) -> None:
        table = self.query_one("#agents", DataTable)
        if [a.model_dump() for a in agents] != [a.model_dump() for a in self.agents]:
            self.agents = agents
            table.clear()
            for a in agents:
                envs = a.environments
                table.add_row(
                    a.name,
                    envs.get("development") or "-",
                    envs.get("staging") or "-",
                    envs.get("production") or "-",
                    str(a.versions),
                    key=a.name,
                )
        if self.selected is None and agents:
            self.selected = agents[0].name
            self.load()
        self.sub_title = f"{len(agents)} agent(s)"
        if status is not None:
            self.query_one("#status", Static).update(
                f"[b]{status.name}[/b]\n{status_lines(status)}"
            )
            log = self.query_one("#logs", Log)
            log.clear()
            log.write_lines(
                f"{rec.get('replica', '?')} {str(rec.get('level', '')).upper():<7} "
                f"{rec.get('msg', '')}"
                for rec in lines
            )

    def show_error(self, exc: NexusError) -> None:
        hint = f"\n{exc.hint}" if exc.hint else ""
        self.query_one("#status", Static).update(f"[red]{exc.message}[/red]{hint}")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value and event.row_key.value != self.selected:
            self.selected = str(event.row_key.value)
            self.load()
