"""What the dashboard shows, read through the provider in one pass (a worker thread).

``fetch_agents`` gives one row per agent and environment (version, replicas
healthy/desired, requests/s from the counters' change since the previous pass,
p95, error rate, tokens, queue size); ``fetch_detail`` the selected agent's
status, history, secret names, logs, tasks, traces and memory. A part the
provider cannot give (``Unsupported``) or that fails is left empty and named in
``Detail.missing``: one failing call never blanks the whole dashboard.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from nexus_cli.errors import NexusError
from nexus_cli.providers.base import LogQuery, Provider

if TYPE_CHECKING:
    from nexus_api.memory import Record, SessionInfo
    from nexus_api.models import (
        AgentMetrics,
        AgentStatus,
        History,
        Secret,
        Task,
        Trace,
        TraceSummary,
    )

T = TypeVar("T")
LEVELS = ("debug", "info", "warning", "error")


@dataclass
class Row:
    """One agent in one environment (an agent deployed nowhere has one row, env ``-``)."""

    agent: str
    env: str
    version: str
    healthy: int
    desired: int
    requests: int = 0
    rps: float | None = None
    p95_ms: float | None = None
    error_rate: float = 0.0
    tokens: int = 0
    queue: int = 0
    known: bool = True  # False: from the agent list only, status and metrics still to come

    @property
    def key(self) -> str:
        return f"{self.agent}/{self.env}"


@dataclass
class Detail:
    name: str
    status: AgentStatus | None = None
    history: History | None = None
    secrets: list[Secret] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    traces: list[TraceSummary] = field(default_factory=list)
    trace: Trace | None = None
    sessions: list[SessionInfo] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)  # part -> why it is empty


@dataclass
class LogFilter:
    level: str = "debug"
    search: str = ""
    env: str | None = None


def _rows_of(
    status: AgentStatus, metrics: AgentMetrics | None, before: dict[str, Row], elapsed: float
) -> list[Row]:
    rows = []
    for env in status.environments:
        if env.revision is None:
            continue
        row = Row(
            agent=status.name,
            env=env.env,
            version=env.version or "-",
            healthy=sum(r.state == "healthy" for r in env.replicas),
            desired=env.replicas_desired,
        )
        m = metrics.environments.get(env.env) if metrics else None
        if m is not None:
            row.requests, row.p95_ms, row.error_rate = m.requests, m.latency_p95_ms, m.error_rate
            row.tokens, row.queue = m.tokens, m.queue_size
            old = before.get(row.key)
            if old is not None and elapsed > 0:
                row.rps = max(0, row.requests - old.requests) / elapsed
        rows.append(row)
    return rows or [Row(agent=status.name, env="-", version="-", healthy=0, desired=0)]


def start_listing(provider: Provider) -> Future[list[dict[str, Any]]]:
    """The agent list (``AgentSummary`` JSON: no pydantic), read in a thread of its own: the
    command starts it before it imports Textual, so the call and the import overlap."""
    import threading

    listed: Future[list[dict[str, Any]]] = Future()

    def read() -> None:
        try:
            listed.set_result(provider.list_agents_data())
        except BaseException as exc:  # handed over to the first pass, which shows it
            listed.set_exception(exc)

    threading.Thread(target=read, name="nexus-dashboard-list", daemon=True).start()
    return listed


def listed_rows(summaries: list[dict[str, Any]]) -> list[Row]:
    """Rows from the agent list alone (replicas and load not read yet: ``known`` False),
    so the first paint does not wait for every agent's status."""
    rows = []
    for a in summaries:
        environments: dict[str, str | None] = a.get("environments") or {}
        served = [(env, version) for env, version in environments.items() if version]
        for env, version in served or [("-", "-")]:
            rows.append(Row(str(a["name"]), env, version or "-", 0, 0, known=False))
    return rows


def fetch_agents(
    provider: Provider, names: list[str], before: dict[str, Row], elapsed: float
) -> list[Row]:
    """Every agent's rows; ``before`` (the previous pass, ``elapsed`` s ago) gives requests/s.
    The agents are read a few at a time: the calls wait on the network, not on this CPU."""
    from concurrent.futures import ThreadPoolExecutor

    def one(name: str) -> list[Row]:
        try:
            status = provider.status(name, None)
        except NexusError:
            return []  # deleted between the list and its status
        try:
            metrics: AgentMetrics | None = provider.metrics(name)
        except NexusError:
            metrics = None  # a provider without metrics still lists its agents
        return _rows_of(status, metrics, before, elapsed)

    with ThreadPoolExecutor(max_workers=min(8, len(names) or 1)) as pool:
        return [row for rows in pool.map(one, names) for row in rows]


def _part(call: Callable[[], T], missing: dict[str, str], part: str) -> T | None:
    try:
        return call()
    except NexusError as exc:
        missing[part] = exc.message
        return None


def fetch_detail(provider: Provider, name: str, logs: LogFilter, trace_id: str | None) -> Detail:
    """The selected agent, its parts read at once (each waits on the network)."""
    from concurrent.futures import ThreadPoolExecutor

    d = Detail(name=name)
    m = d.missing
    query = LogQuery(env=logs.env, tail=200, level=logs.level, grep=logs.search or None)
    with ThreadPoolExecutor(max_workers=8) as pool:
        status = pool.submit(_part, lambda: provider.status(name, None), m, "status")
        history = pool.submit(_part, lambda: provider.history(name), m, "history")
        secrets = pool.submit(_part, lambda: provider.secret_list(name), m, "secrets")
        lines = pool.submit(_part, lambda: list(provider.logs(name, query)), m, "logs")
        tasks = pool.submit(_part, lambda: provider.tasks(name), m, "tasks")
        sessions = pool.submit(_part, lambda: provider.memory_sessions(name, None), m, "memory")
        records = pool.submit(_part, lambda: provider.memory_records(name, None, 50), m, "memory")
        traces = _part(lambda: provider.traces(name, 30), m, "traces") or []
        chosen = trace_id or (traces[0].trace_id if traces else None)
        if chosen is not None:
            d.trace = _part(lambda: provider.trace(chosen), m, "trace")
        d.status, d.history, d.traces = status.result(), history.result(), traces
        d.secrets, d.logs, d.tasks = (
            secrets.result() or [],
            lines.result() or [],
            tasks.result() or [],
        )
        d.sessions, d.records = sessions.result() or [], records.result() or []
    return d
