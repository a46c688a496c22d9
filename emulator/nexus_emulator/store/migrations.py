"""Numbered schema migrations. Append only: never edit a migration that has shipped.

``PRAGMA user_version`` holds the number of the last one applied.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "agents, versions, deployments, events, sources",
        """
        CREATE TABLE agents (
            name TEXT PRIMARY KEY,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE TABLE versions (
            agent TEXT NOT NULL REFERENCES agents(name) ON DELETE CASCADE,
            revision INTEGER NOT NULL,
            label TEXT NOT NULL,
            digest TEXT NOT NULL,
            artifact TEXT NOT NULL,
            base TEXT,
            source TEXT NOT NULL,
            spec TEXT NOT NULL,
            created_at REAL NOT NULL,
            created_by TEXT,
            PRIMARY KEY (agent, revision),
            UNIQUE (agent, label)
        );
        CREATE TABLE deployments (
            agent TEXT NOT NULL REFERENCES agents(name) ON DELETE CASCADE,
            env TEXT NOT NULL,
            revision INTEGER NOT NULL,
            replicas INTEGER NOT NULL,
            cpu TEXT,
            memory TEXT,
            nano_cpus INTEGER,
            memory_bytes INTEGER,
            updated_at REAL NOT NULL,
            PRIMARY KEY (agent, env)
        );
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            agent TEXT NOT NULL REFERENCES agents(name) ON DELETE CASCADE,
            env TEXT NOT NULL,
            action TEXT NOT NULL,
            revision INTEGER NOT NULL,
            label TEXT NOT NULL,
            at REAL NOT NULL,
            by TEXT
        );
        CREATE INDEX events_agent ON events (agent, env, id);
        CREATE TABLE sources (
            id TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            size INTEGER NOT NULL,
            created_at REAL NOT NULL
        );
        """,
    ),
    (
        2,
        "autoscale flag per deployment",
        """
        ALTER TABLE deployments ADD COLUMN autoscale INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    (
        3,
        "secrets, encrypted, per agent and scope (an environment or * for all)",
        """
        CREATE TABLE secrets (
            agent TEXT NOT NULL,
            scope TEXT NOT NULL,
            name TEXT NOT NULL,
            ciphertext BLOB NOT NULL,
            digest TEXT NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (agent, scope, name)
        );
        """,
    ),
    (
        4,
        "async tasks and the webhook outbox",
        """
        CREATE TABLE tasks (
            id TEXT PRIMARY KEY,
            agent TEXT NOT NULL,
            env TEXT NOT NULL,
            body BLOB NOT NULL,
            webhook TEXT,
            status TEXT NOT NULL,
            progress INTEGER NOT NULL DEFAULT 0,
            attempt INTEGER NOT NULL DEFAULT 0,
            result BLOB,
            error TEXT,
            created_at REAL NOT NULL,
            started_at REAL,
            finished_at REAL
        );
        CREATE INDEX tasks_status ON tasks (status, created_at);
        CREATE INDEX tasks_agent ON tasks (agent, created_at);
        CREATE TABLE outbox (
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
        CREATE INDEX outbox_due ON outbox (delivered_at, failed_at, next_at);
        """,
    ),
    (
        5,
        "trace spans",
        """
        CREATE TABLE spans (
            trace_id TEXT NOT NULL,
            span_id TEXT NOT NULL,
            parent_id TEXT,
            agent TEXT NOT NULL,
            env TEXT,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            start REAL NOT NULL,
            end REAL NOT NULL,
            status TEXT NOT NULL,
            attributes TEXT NOT NULL,
            PRIMARY KEY (trace_id, span_id)
        );
        CREATE INDEX spans_agent ON spans (agent, start);
        """,
    ),
    (
        6,
        "outbound credentials of agents (encrypted like secrets)",
        """
        CREATE TABLE credentials (
            agent TEXT NOT NULL,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            ciphertext BLOB NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (agent, name)
        );
        """,
    ),
    (
        7,
        "the nexus.toml values each deployment was last deployed with",
        """
        ALTER TABLE deployments ADD COLUMN declared TEXT;
        """,
    ),
    (
        8,
        "who submitted each task (the checked caller, passed to the agent when it runs)",
        """
        ALTER TABLE tasks ADD COLUMN caller TEXT;
        """,
    ),
    (
        9,
        "the AI gateway: quotas and counters per agent and environment, one audit row per call",
        """
        CREATE TABLE gateway_quotas (
            agent TEXT NOT NULL,
            env TEXT NOT NULL,
            quota TEXT NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (agent, env)
        );
        CREATE TABLE gateway_counters (
            agent TEXT NOT NULL,
            env TEXT NOT NULL,
            requests_level REAL NOT NULL,
            tokens_level REAL NOT NULL,
            at REAL NOT NULL,
            day TEXT NOT NULL,
            day_tokens INTEGER NOT NULL,
            month TEXT NOT NULL,
            month_tokens INTEGER NOT NULL,
            PRIMARY KEY (agent, env)
        );
        CREATE TABLE gateway_audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at REAL NOT NULL,
            agent TEXT NOT NULL,
            version TEXT,
            env TEXT NOT NULL,
            principal TEXT NOT NULL,
            model TEXT NOT NULL,
            provider TEXT NOT NULL,
            tokens_in INTEGER NOT NULL,
            tokens_out INTEGER NOT NULL,
            latency_ms REAL NOT NULL,
            status INTEGER NOT NULL,
            request_id TEXT,
            trace_id TEXT,
            prompt TEXT,
            completion TEXT
        );
        CREATE INDEX gateway_audit_agent ON gateway_audit (agent, at);
        CREATE INDEX gateway_audit_at ON gateway_audit (at);
        """,
    ),
    (
        10,
        "the AI gateway's routed models: a name mapped to an upstream provider and model",
        """
        CREATE TABLE gateway_models (
            name TEXT PRIMARY KEY,
            route TEXT NOT NULL,
            updated_at REAL NOT NULL
        );
        """,
    ),
    (
        11,
        "idempotency keys of task submissions: the key and a digest of the body",
        """
        ALTER TABLE tasks ADD COLUMN idempotency_key TEXT;
        ALTER TABLE tasks ADD COLUMN body_digest TEXT;
        CREATE UNIQUE INDEX tasks_idempotency ON tasks (agent, idempotency_key)
            WHERE idempotency_key IS NOT NULL;
        """,
    ),
    (
        12,
        "memory: events per agent, actor and session; records in namespaces searched by FTS5",
        """
        CREATE TABLE memory_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            agent TEXT NOT NULL,
            actor TEXT NOT NULL,
            session TEXT NOT NULL,
            at REAL NOT NULL,
            role TEXT,
            text TEXT,
            payload TEXT
        );
        CREATE INDEX memory_events_session ON memory_events (agent, actor, session, id);
        CREATE INDEX memory_events_at ON memory_events (agent, at);
        CREATE TABLE memory_records (
            rid INTEGER PRIMARY KEY AUTOINCREMENT,
            agent TEXT NOT NULL,
            namespace TEXT NOT NULL,
            key TEXT NOT NULL,
            text TEXT NOT NULL,
            data TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            expires_at REAL,
            UNIQUE (agent, namespace, key)
        );
        CREATE VIRTUAL TABLE memory_fts USING fts5(
            text, content='memory_records', content_rowid='rid'
        );
        CREATE TRIGGER memory_records_ai AFTER INSERT ON memory_records BEGIN
            INSERT INTO memory_fts(rowid, text) VALUES (new.rid, new.text);
        END;
        CREATE TRIGGER memory_records_ad AFTER DELETE ON memory_records BEGIN
            INSERT INTO memory_fts(memory_fts, rowid, text) VALUES ('delete', old.rid, old.text);
        END;
        CREATE TRIGGER memory_records_au AFTER UPDATE ON memory_records BEGIN
            INSERT INTO memory_fts(memory_fts, rowid, text) VALUES ('delete', old.rid, old.text);
            INSERT INTO memory_fts(rowid, text) VALUES (new.rid, new.text);
        END;
        CREATE TABLE memory_settings (
            agent TEXT PRIMARY KEY,
            retention_days REAL NOT NULL
        );
        """,
    ),
    (
        13,
        "memory: the extraction strategies each agent runs on its sessions",
        """
        ALTER TABLE memory_settings ADD COLUMN strategies TEXT;
        """,
    ),
    (
        14,
        "the metadata of a task's result: tokens used, version, replica, latency",
        """
        ALTER TABLE tasks ADD COLUMN metadata TEXT;
        """,
    ),
    (
        15,
        "deployments: calls per replica at once, and runs of a task before it is dead",
        """
        ALTER TABLE deployments ADD COLUMN max_concurrency INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE deployments ADD COLUMN max_attempts INTEGER;
        """,
    ),
    (
        16,
        "the AI gateway: models an agent declares for itself in nexus.toml's [gateway]",
        """
        CREATE TABLE gateway_agent_models (
            agent TEXT NOT NULL,
            name TEXT NOT NULL,
            route TEXT NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (agent, name)
        );
        """,
    ),
    (
        17,
        "memory: vector search, the records' embeddings and the per-agent switch",
        """
        ALTER TABLE memory_settings ADD COLUMN vectors INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE memory_vectors (
            rid INTEGER PRIMARY KEY,
            agent TEXT NOT NULL,
            model TEXT NOT NULL,
            vec BLOB NOT NULL
        );
        CREATE INDEX memory_vectors_agent ON memory_vectors (agent, rid);
        CREATE TRIGGER memory_records_vad AFTER DELETE ON memory_records BEGIN
            DELETE FROM memory_vectors WHERE rid = old.rid;
        END;
        CREATE TRIGGER memory_records_vau AFTER UPDATE OF text ON memory_records
        WHEN old.text IS NOT new.text BEGIN
            DELETE FROM memory_vectors WHERE rid = old.rid;
        END;
        """,
    ),
    (
        18,
        "deployments: egress, public (the platform and the internet) or platform only",
        """
        ALTER TABLE deployments ADD COLUMN network TEXT NOT NULL DEFAULT 'public';
        """,
    ),
    (
        19,
        "deployments: isolation, shared replicas or a fresh replica per session",
        """
        ALTER TABLE deployments ADD COLUMN isolation TEXT NOT NULL DEFAULT 'shared';
        """,
    ),
    (
        20,
        "memory: the gateway model that embeds an agent's records (NULL: the offline one)",
        """
        ALTER TABLE memory_settings ADD COLUMN embed_model TEXT;
        """,
    ),
]


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration newer than the database; return the resulting number."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    newest = MIGRATIONS[-1][0]
    if current > newest:
        raise RuntimeError(
            f"the state database is at schema {current}, newer than this emulator knows "
            f"({newest}): upgrade Nexus"
        )
    for number, _name, sql in MIGRATIONS:
        if number <= current:
            continue
        with conn:  # one transaction per migration
            conn.executescript("BEGIN;" + sql + f";PRAGMA user_version = {number};")
    return int(conn.execute("PRAGMA user_version").fetchone()[0])
