"""The swarm front's tasks and webhook outbox in SQLite (runs in the swarm, stdlib only).

The file lives on a Docker volume mounted into the front service
(``NEXUS_FRONT_STATE``), so a restarted or updated front finds its tasks,
their results and the deliveries still to make. A task's end and its webhook
delivery are written in one transaction, so no delivery is lost. Without a
folder (the unit tests) the database is in memory.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    data TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL,
    url TEXT NOT NULL,
    payload BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    delivered_at REAL,
    failed_at REAL,
    last_error TEXT
);
"""


class Store:
    def __init__(self, folder: str | None) -> None:
        path = os.path.join(folder, "front.db") if folder else ":memory:"
        self.conn = sqlite3.connect(path)
        if folder:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(SCHEMA)

    def load(self) -> list[tuple[dict[str, Any], bytes]]:
        """Every task kept, oldest first, with the body it runs with."""
        rows = self.conn.execute("SELECT data, body FROM tasks ORDER BY seq").fetchall()
        return [(json.loads(data), bytes(body)) for data, body in rows]

    def add(self, task: dict[str, Any], body: bytes) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT INTO tasks(id, data, body) VALUES (?, ?, ?)",
                (task["task_id"], json.dumps(task), body),
            )

    def save(self, task: dict[str, Any], webhook: bytes | None = None) -> None:
        """The task as it is now; with ``webhook``, its delivery is queued in the same write."""
        with self.conn:
            self.conn.execute(
                "UPDATE tasks SET data=? WHERE id=?", (json.dumps(task), task["task_id"])
            )
            if webhook is not None and task.get("webhook"):
                self.conn.execute(
                    "INSERT INTO outbox(task_id, url, payload, next_at) VALUES (?, ?, ?, ?)",
                    (task["task_id"], task["webhook"], webhook, time.time()),
                )

    def drop(self, task_ids: list[str]) -> None:
        with self.conn:
            self.conn.executemany("DELETE FROM tasks WHERE id=?", [(i,) for i in task_ids])
            self.conn.executemany("DELETE FROM outbox WHERE task_id=?", [(i,) for i in task_ids])

    def due(self) -> list[tuple[int, str, str, bytes, int]]:
        """(id, task id, url, payload, attempts) of the deliveries to make now."""
        rows = self.conn.execute(
            "SELECT id, task_id, url, payload, attempts FROM outbox WHERE delivered_at IS NULL "
            "AND failed_at IS NULL AND next_at <= ? ORDER BY id LIMIT 20",
            (time.time(),),
        ).fetchall()
        return [(i, t, u, bytes(p), n) for i, t, u, p, n in rows]
