"""A provider that answers with fixed data, for the dashboard's snapshot tests.

A screenshot can only be compared with a stored one when nothing on screen
changes between runs: replica ids, ports, times and latencies of a real
emulator all do. The data here has the shapes a real emulator answers with
(the same ``nexus_api`` models, validated); what the dashboard *does* with a
real emulator is tested in test_dashboard.py. Times are fixed relative to
``NOW``, the clock the snapshot tests give the dashboard.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from nexus_api.memory import Record, SessionInfo
from nexus_api.models import (
    AgentMetrics,
    AgentStatus,
    AgentSummary,
    DeleteResult,
    DeployResult,
    History,
    RunResult,
    Secret,
    Task,
    Trace,
    TraceSummary,
)
from nexus_cli.providers.base import DeployRequest, LogQuery, ProgressFn, Provider

NOW = 1_780_000_000.0
LEVELS = ("debug", "info", "warning", "error")


def _replicas(version: str, n: int, port: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{version.replace('.', '')}{i}a7c9e2f41b",
            "state": "healthy",
            "endpoint": f"http://127.0.0.1:{port + i}",
            "version": version,
            "started_at": NOW - 300 * (i + 1),
        }
        for i in range(n)
    ]


def _env(env: str, version: str, rev: int, n: int, port: int, cpu: str) -> dict[str, Any]:
    return {
        "env": env,
        "version": version,
        "revision": rev,
        "replicas_desired": n,
        "replicas": _replicas(version, n, port),
        "resources": {"cpu": cpu, "memory": "256Mi"},
        "runtime": "docker",
    }


STATUS: dict[str, dict[str, Any]] = {
    "support-bot": {
        "name": "support-bot",
        "provider": "local",
        "environments": [
            _env("staging", "1.4.0", 5, 2, 41000, "500m"),
            _env("production", "1.3.2", 4, 3, 42000, "1000m"),
        ],
    },
    "summarizer": {
        "name": "summarizer",
        "provider": "local",
        "environments": [_env("development", "0.2.0", 2, 1, 43000, "500m")],
    },
}
METRICS = {
    "support-bot": {
        "staging": {
            "requests": 120,
            "errors": 3,
            "error_rate": 0.025,
            "latency_p50_ms": 8.1,
            "latency_p95_ms": 21.4,
            "tokens": 5120,
            "queue_size": 0,
        },
        "production": {
            "requests": 9800,
            "errors": 12,
            "error_rate": 0.0012,
            "latency_p50_ms": 6.3,
            "latency_p95_ms": 14.9,
            "tokens": 410233,
            "queue_size": 2,
        },
    },
    "summarizer": {"development": {"requests": 4, "latency_p95_ms": 3.2}},
}
HISTORY = {
    "name": "support-bot",
    "versions": [
        {"revision": r, "label": label, "created_at": NOW - 3600 * (6 - r), "live_in": live}
        for r, label, live in [
            (3, "1.3.1", []),
            (4, "1.3.2", ["production"]),
            (5, "1.4.0", ["staging"]),
        ]
    ],
    "events": [
        {
            "at": NOW - 7200,
            "env": "production",
            "action": "deploy",
            "revision": 4,
            "label": "1.3.2",
            "by": "ann",
        },
        {
            "at": NOW - 1800,
            "env": "staging",
            "action": "deploy",
            "revision": 5,
            "label": "1.4.0",
            "by": "ann",
        },
        {
            "at": NOW - 600,
            "env": "production",
            "action": "scale",
            "revision": 4,
            "label": "1.3.2",
            "by": "bob",
        },
    ],
}
LOGS: list[dict[str, Any]] = [
    {
        "time": NOW - 50 + i,
        "level": level,
        "replica": "140a7c9e2f41",
        "msg": msg,
        "logger": "support",
    }
    for i, (level, msg) in enumerate(
        [
            ("info", "POST /invocations 200"),
            ("debug", "looking up order 1182"),
            ("warning", "order 1182 is late: asking the carrier"),
            ("error", "carrier API timed out after 5 s"),
            ("info", "answered the user about order 1182"),
        ]
    )
]
TASKS = [
    {
        "task_id": "task_5e1f0c2b9a7d4e11",
        "status": "running",
        "agent": "support-bot",
        "env": "staging",
        "progress": 40,
        "attempt": 1,
        "created_at": NOW - 90,
    },
    {
        "task_id": "task_77a0d3c4b2e14f09",
        "status": "succeeded",
        "agent": "support-bot",
        "env": "staging",
        "progress": 100,
        "attempt": 1,
        "created_at": NOW - 900,
    },
    {
        "task_id": "task_0b9c8d7e6f5a4b3c",
        "status": "failed",
        "agent": "support-bot",
        "env": "production",
        "progress": 10,
        "attempt": 3,
        "created_at": NOW - 4000,
        "error": "AgentError: the carrier API refused the call",
    },
]
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPANS = [
    ("a1", None, "POST /agents/support-bot/run", "server", 0.0, 182.0, "ok"),
    ("a2", "a1", "relay to replica 140a7c9e", "client", 0.4, 181.2, "ok"),
    ("a3", "a2", "lookup_order", "internal", 2.0, 40.5, "ok"),
    ("a4", "a2", "chat gpt-4o-mini", "client", 45.0, 130.1, "ok"),
    ("a5", "a4", "carrier.status", "client", 60.0, 12.0, "error"),
]
SESSIONS = [
    {
        "actor": "ann",
        "session": "order-1182",
        "events": 6,
        "first_at": NOW - 700,
        "last_at": NOW - 40,
    },
    {
        "actor": "bob",
        "session": "refund-77",
        "events": 2,
        "first_at": NOW - 9000,
        "last_at": NOW - 8000,
    },
]
RECORDS = [
    {
        "id": "rec1",
        "namespace": "/users/ann/preferences",
        "key": "k1",
        "text": "prefers answers in French",
        "created_at": NOW - 600,
        "updated_at": NOW - 600,
    },
    {
        "id": "rec2",
        "namespace": "/users/ann/facts",
        "key": "k2",
        "text": "order 1182 ships to Lyon",
        "created_at": NOW - 300,
        "updated_at": NOW - 300,
    },
]


class Recorded(Provider):
    """Fixed answers; the actions a snapshot never reaches are refused."""

    name: ClassVar[str] = "recorded"

    def list_agents(self) -> list[AgentSummary]:
        return [
            AgentSummary(
                name=name,
                environments={e["env"]: e["version"] for e in s["environments"]},
                versions=3,
            )
            for name, s in STATUS.items()
        ]

    def status(self, name: str, env: str | None) -> AgentStatus:
        return AgentStatus.model_validate(STATUS[name])

    def metrics(self, name: str) -> AgentMetrics:
        return AgentMetrics.model_validate({"name": name, "environments": METRICS[name]})

    def history(self, name: str) -> History:
        return History.model_validate(HISTORY | {"name": name})

    def secret_list(self, name: str) -> list[Secret]:
        return [
            Secret(name="CARRIER_API_KEY", scope="*", digest="sha256:9f2c"),
            Secret(name="OPENAI_API_KEY", scope="production", digest="sha256:11ab"),
        ]

    def logs(self, name: str, query: LogQuery) -> Iterator[dict[str, Any]]:
        low = LEVELS.index(query.level)
        for rec in LOGS:
            if LEVELS.index(rec["level"]) < low:
                continue
            if query.grep and query.grep.lower() not in rec["msg"].lower():
                continue
            yield rec

    def tasks(self, name: str, status: str | None = None) -> list[Task]:
        return [Task.model_validate(t) for t in TASKS]

    def traces(self, name: str, limit: int) -> list[TraceSummary]:
        return [
            TraceSummary(
                trace_id=TRACE_ID,
                name="POST /agents/support-bot/run",
                start=NOW - 30,
                duration_ms=182.0,
                status="ok",
                spans=len(SPANS),
            ),
        ]

    def trace(self, trace_id: str) -> Trace:
        spans = [
            {
                "trace_id": TRACE_ID,
                "span_id": sid,
                "parent_id": parent,
                "name": name,
                "kind": kind,
                "start": NOW - 30 + start / 1000,
                "duration_ms": ms,
                "status": st,
            }
            for sid, parent, name, kind, start, ms, st in SPANS
        ]
        return Trace.model_validate({"trace_id": TRACE_ID, "spans": spans})

    def memory_sessions(self, name: str, actor: str | None) -> list[SessionInfo]:
        return [SessionInfo.model_validate(s) for s in SESSIONS]

    def memory_records(self, name: str, namespace: str | None, limit: int) -> list[Record]:
        return [Record.model_validate(r) for r in RECORDS]

    def deploy(self, request: DeployRequest, progress: ProgressFn) -> DeployResult:
        raise self.unsupported("deploying")

    def run(self, name: str, input: Any, context: dict[str, Any], env: str | None) -> RunResult:
        raise self.unsupported("running")

    def delete(self, name: str) -> DeleteResult:
        raise self.unsupported("deleting")
