"""Typed access to the state database. Every write is its own committed transaction."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nexus_emulator.store.migrations import migrate


@dataclass(frozen=True)
class VersionRow:
    agent: str
    revision: int
    label: str
    digest: str
    artifact: str
    base: str | None
    source: str  # "build" | "image"
    spec: dict[str, Any]
    created_at: float
    created_by: str | None


@dataclass(frozen=True)
class DeploymentRow:
    agent: str
    env: str
    revision: int
    replicas: int
    cpu: str | None
    memory: str | None
    nano_cpus: int | None
    memory_bytes: int | None
    updated_at: float
    autoscale: bool = False
    # nexus.toml's [environments.ENV] values at the last deploy (None: not recorded)
    declared: dict[str, Any] | None = None
    max_concurrency: int = 0  # calls one replica takes at once; 0: no limit
    max_attempts: int | None = None  # runs of a task cut short before it is dead (None: default)
    network: str = "public"  # egress: "public" or "platform"
    isolation: str = "shared"  # "shared", or "session": a replica per session id


@dataclass(frozen=True)
class EventRow:
    id: int
    agent: str
    env: str
    action: str
    revision: int
    label: str
    at: float
    by: str | None


def _owner_only(db: Path) -> None:
    """The database 0600 before SQLite opens it: its -wal and -shm files take its mode."""
    os.close(os.open(db, os.O_RDWR | os.O_CREAT, 0o600))
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if path.exists():
            path.chmod(0o600)


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        _owner_only(path)
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA busy_timeout=5000")
        self.schema = migrate(self.conn)
        # Bumped by every write of agents, versions or deployments: what routing.py
        # keeps in memory is current while this number has not moved.
        self.generation = 0

    def close(self) -> None:
        self.conn.close()

    def _tx(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            return self.conn.execute(sql, args)

    # ------------------------------------------------------------ agents

    def agent_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM agents ORDER BY name")]

    def agent_updated_at(self, name: str) -> float | None:
        row = self.conn.execute("SELECT updated_at FROM agents WHERE name=?", (name,)).fetchone()
        return float(row[0]) if row else None

    def delete_agent(self, name: str) -> None:
        self._tx("DELETE FROM agents WHERE name=?", (name,))
        self.generation += 1

    # ------------------------------------------------------------ versions

    def set_artifact(
        self, agent: str, revision: int, ref: str, digest: str, base: str | None
    ) -> None:
        """A version rebuilt for another runtime: same revision and label, new artifact."""
        self._tx(
            "UPDATE versions SET artifact=?, digest=?, base=? WHERE agent=? AND revision=?",
            (ref, digest, base, agent, revision),
        )
        self.generation += 1

    def _insert_version(self, v: VersionRow) -> None:
        self.conn.execute(
            "INSERT INTO agents(name, created_at, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET updated_at=excluded.updated_at",
            (v.agent, v.created_at, v.created_at),
        )
        self.conn.execute(
            "INSERT INTO versions(agent, revision, label, digest, artifact, base, source, "
            "spec, created_at, created_by) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                v.agent,
                v.revision,
                v.label,
                v.digest,
                v.artifact,
                v.base,
                v.source,
                json.dumps(v.spec),
                v.created_at,
                v.created_by,
            ),
        )

    def versions(self, agent: str) -> list[VersionRow]:
        rows = self.conn.execute(
            "SELECT * FROM versions WHERE agent=? ORDER BY revision", (agent,)
        ).fetchall()
        return [_version(r) for r in rows]

    def version(self, agent: str, revision: int) -> VersionRow | None:
        row = self.conn.execute(
            "SELECT * FROM versions WHERE agent=? AND revision=?", (agent, revision)
        ).fetchone()
        return _version(row) if row else None

    def next_revision(self, agent: str) -> int:
        row = self.conn.execute(
            "SELECT COALESCE(MAX(revision), 0) FROM versions WHERE agent=?", (agent,)
        ).fetchone()
        return int(row[0]) + 1

    # ------------------------------------------------------------ deployments

    def deployments(self, agent: str | None = None) -> list[DeploymentRow]:
        if agent is None:
            rows = self.conn.execute("SELECT * FROM deployments ORDER BY agent, env")
        else:
            rows = self.conn.execute(
                "SELECT * FROM deployments WHERE agent=? ORDER BY env", (agent,)
            )
        return [_deployment(r) for r in rows.fetchall()]

    def deployment(self, agent: str, env: str) -> DeploymentRow | None:
        row = self.conn.execute(
            "SELECT * FROM deployments WHERE agent=? AND env=?", (agent, env)
        ).fetchone()
        return _deployment(row) if row else None

    def set_deployment(
        self,
        d: DeploymentRow,
        action: str,
        label: str,
        by: str | None,
        new_version: VersionRow | None = None,
    ) -> None:
        """Point an environment at a version (stored here when new) and record it, atomically."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            if new_version is not None:
                self._insert_version(new_version)
            self.conn.execute(
                "INSERT INTO deployments(agent, env, revision, replicas, cpu, memory, nano_cpus, "
                "memory_bytes, updated_at, autoscale, declared, max_concurrency, max_attempts, "
                "network, isolation) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT(agent, env) DO UPDATE SET revision=excluded.revision, "
                "replicas=excluded.replicas, cpu=excluded.cpu, memory=excluded.memory, "
                "nano_cpus=excluded.nano_cpus, memory_bytes=excluded.memory_bytes, "
                "updated_at=excluded.updated_at, autoscale=excluded.autoscale, "
                "declared=excluded.declared, max_concurrency=excluded.max_concurrency, "
                "max_attempts=excluded.max_attempts, network=excluded.network, "
                "isolation=excluded.isolation",
                (
                    d.agent,
                    d.env,
                    d.revision,
                    d.replicas,
                    d.cpu,
                    d.memory,
                    d.nano_cpus,
                    d.memory_bytes,
                    d.updated_at,
                    int(d.autoscale),
                    None if d.declared is None else json.dumps(d.declared),
                    d.max_concurrency,
                    d.max_attempts,
                    d.network,
                    d.isolation,
                ),
            )
            self.conn.execute(
                "INSERT INTO events(agent, env, action, revision, label, at, by) "
                "VALUES (?,?,?,?,?,?,?)",
                (d.agent, d.env, action, d.revision, label, d.updated_at, by),
            )
            self.conn.execute(
                "UPDATE agents SET updated_at=? WHERE name=?", (d.updated_at, d.agent)
            )
        self.generation += 1

    def events(self, agent: str, env: str | None = None) -> list[EventRow]:
        if env is None:
            rows = self.conn.execute("SELECT * FROM events WHERE agent=? ORDER BY id", (agent,))
        else:
            rows = self.conn.execute(
                "SELECT * FROM events WHERE agent=? AND env=? ORDER BY id", (agent, env)
            )
        return [EventRow(**dict(r)) for r in rows.fetchall()]

    # ------------------------------------------------------------ sources

    def add_source(self, source_id: str, path: str, size: int) -> None:
        self._tx(
            "INSERT OR IGNORE INTO sources(id, path, size, created_at) VALUES (?,?,?,?)",
            (source_id, path, size, time.time()),
        )

    def source_path(self, source_id: str) -> str | None:
        row = self.conn.execute("SELECT path FROM sources WHERE id=?", (source_id,)).fetchone()
        return str(row[0]) if row else None

    def reset(self) -> None:
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            for table in (
                "events",
                "deployments",
                "versions",
                "agents",
                "sources",
                "secrets",
                "tasks",
                "outbox",
                "spans",
                "gateway_quotas",
                "gateway_counters",
                "gateway_audit",
                "gateway_models",
                "gateway_agent_models",
                "memory_events",
                "memory_records",
                "memory_settings",
                "memory_vectors",
            ):
                self.conn.execute(f"DELETE FROM {table}")
        self.generation += 1


def _deployment(row: sqlite3.Row) -> DeploymentRow:
    data = dict(row)
    data["autoscale"] = bool(data.get("autoscale", 0))
    data["declared"] = json.loads(data["declared"]) if data.get("declared") else None
    return DeploymentRow(**data)


def _version(row: sqlite3.Row) -> VersionRow:
    data = dict(row)
    data["spec"] = json.loads(data["spec"])
    return VersionRow(**data)
