"""Traces of the data plane: one trace per call, the emulator's spans, W3C context.

Each run, stream or task gets a root span (the emulator serving the call) and a
child span (the call to the replica); the replica receives a W3C
``traceparent`` naming that child, so spans the agent records with
OpenTelemetry can join the same trace. A caller's own ``traceparent`` is
continued. Spans are buffered and written to SQLite in batches, by a worker
thread on its own connection so the event loop never waits for the disk; the
newest ``KEEP`` spans are kept.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from nexus_emulator.store import Store

log = logging.getLogger("nexus_emulator.tracing")


def random_hex(bits: int) -> str:
    """``bits`` random bits as hex: trace, span and request ids. They are not secrets (anyone
    the call is shown to sees them), so Python's generator makes them, with no system call
    each (``secrets`` asks the kernel every time)."""
    return f"{random.getrandbits(bits):0{bits // 4}x}"


KEEP = 50_000
INSERT = "INSERT OR REPLACE INTO spans VALUES (?,?,?,?,?,?,?,?,?,?,?)"
TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")


@dataclass
class Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    agent: str
    env: str | None
    name: str
    kind: str  # server | client | internal
    start: float = field(default_factory=time.time)
    end: float = 0.0
    status: str = "ok"
    attributes: dict[str, Any] = field(default_factory=dict)

    def child(self, name: str, kind: str = "client") -> Span:
        return Span(self.trace_id, random_hex(64), self.span_id, self.agent, self.env, name, kind)

    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-01"


class Tracer:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.pending: list[Span] = []
        self._writing: list[Span] = []  # the batch the worker thread is storing now
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None  # the span writer's own connection
        self._count: int | None = None  # spans stored, at most (exact after each trim)
        self.forward: Callable[[list[Span]], None] | None = None  # to an external collector

    def root(self, name: str, agent: str, env: str | None, traceparent: str | None) -> Span:
        """A server span, continuing the caller's trace when it sent a valid traceparent."""
        match = TRACEPARENT.match(traceparent or "")
        trace_id, parent = (match.group(1), match.group(2)) if match else (random_hex(128), None)
        return Span(trace_id, random_hex(64), parent, agent, env, name, "server")

    def finish(self, span: Span, status: str = "ok", **attributes: Any) -> None:
        span.end = time.time()
        span.status = status
        span.attributes.update({k: v for k, v in attributes.items() if v is not None})
        self.pending.append(span)

    def _write(self, batch: list[Span]) -> None:
        """Store a batch of spans on the writer's own connection; keep the newest ``KEEP``.
        The batch also goes to ``forward`` (an external collector) when there is one."""
        if self.forward is not None:
            self.forward(batch)
        rows = [
            (
                s.trace_id, s.span_id, s.parent_id, s.agent, s.env, s.name, s.kind,
                s.start, s.end, s.status, orjson.dumps(s.attributes).decode(),
            )
            for s in batch
        ]  # fmt: skip
        with self._lock:
            if self._conn is None:
                self._conn = sqlite3.connect(
                    self.store.path, isolation_level=None, check_same_thread=False
                )
                self._conn.execute("PRAGMA busy_timeout=5000")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            conn = self._conn
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(INSERT, rows)
                if self._count is None:
                    self._count = conn.execute("SELECT COUNT(*) FROM spans").fetchone()[0]
                else:
                    self._count += len(batch)
                if self._count > KEEP * 1.2:  # an upper bound: count before trimming
                    self._count = conn.execute("SELECT COUNT(*) FROM spans").fetchone()[0]
                    if self._count > KEEP * 1.2:  # the oldest written go: no sort needed
                        conn.execute(
                            "DELETE FROM spans WHERE rowid < (SELECT rowid FROM spans "
                            "ORDER BY rowid DESC LIMIT 1 OFFSET ?)",
                            (KEEP - 1,),
                        )
                        self._count = KEEP

    def flush(self) -> None:
        """Store the pending spans now (before reading them, at stop), and the batch the
        worker thread may still be writing (again: rows are replaced by their span id), so
        a read never misses spans of calls that have answered."""
        batch, self.pending = self._writing + self.pending, []
        if batch:
            self._write(batch)

    async def run(self, interval: float = 0.25) -> None:
        """Store the pending spans every ``interval`` seconds, in a worker thread."""
        while True:
            await asyncio.sleep(interval)
            batch, self.pending = self.pending, []
            if not batch:
                continue
            self._writing = batch
            try:
                await asyncio.to_thread(self._write, batch)
            except Exception:  # traces are best effort: never stop the emulator for them
                log.exception("writing trace spans failed")
            finally:
                self._writing = []

    def close(self) -> None:
        self.flush()
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def traces(self, agent: str, limit: int) -> list[dict[str, Any]]:
        self.flush()
        roots = self.store.conn.execute(
            "SELECT trace_id, name, start, end, status FROM spans "
            "WHERE agent=? AND kind='server' ORDER BY start DESC LIMIT ?",
            (agent, limit),
        ).fetchall()
        out = []
        for trace_id, name, start, end, status in roots:
            n = self.store.conn.execute(
                "SELECT COUNT(*) FROM spans WHERE trace_id=?", (trace_id,)
            ).fetchone()[0]
            out.append(
                {
                    "trace_id": trace_id,
                    "name": name,
                    "start": start,
                    "duration_ms": round((end - start) * 1000, 3),
                    "status": status,
                    "spans": n,
                }
            )
        return out

    def trace(self, trace_id: str) -> list[dict[str, Any]]:
        self.flush()
        rows = self.store.conn.execute(
            "SELECT trace_id, span_id, parent_id, agent, env, name, kind, start, end, status, "
            "attributes FROM spans WHERE trace_id=? ORDER BY start",
            (trace_id,),
        ).fetchall()
        keys = ("trace_id", "span_id", "parent_id", "agent", "env", "name", "kind", "start")
        spans = []
        for row in rows:
            span = dict(zip(keys, row[:8], strict=True))
            span["duration_ms"] = round((row[8] - row[7]) * 1000, 3)
            span["status"] = row[9]
            span["attributes"] = orjson.loads(row[10])
            spans.append(span)
        return spans
