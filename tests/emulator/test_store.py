"""The state database moves forward through its numbered migrations, keeping its rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from nexus_emulator.store import Store
from nexus_emulator.store.migrations import MIGRATIONS


def test_an_old_database_is_migrated_with_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0][2] + ";PRAGMA user_version = 1;")
    conn.execute("INSERT INTO agents VALUES ('a', 1, 1)")
    conn.execute("INSERT INTO deployments VALUES ('a', 'staging', 1, 2, NULL, NULL, NULL, NULL, 1)")
    conn.commit()
    conn.close()
    store = Store(path)
    assert store.schema == MIGRATIONS[-1][0] >= 2
    (row,) = store.deployments("a")
    assert row.replicas == 2
    assert row.autoscale is False
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this emulator"):
        Store(path)
