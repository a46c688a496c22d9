"""The first vector search after a start loads the agent's matrix from SQLite in a
worker thread: a real emulator keeps answering while a large load is under way, the
searches that come meanwhile share that one load, and a record put during the load
is found by the next search."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.emulator.conftest import start_emulator

ADMIN = "/v1/memory/agents/bot"
FILLER = 60_000  # zero vectors written straight into the state database
LOADING = "loading the vectors of bot"
LOADED = "vectors of bot in"


def fill(db: Path, count: int) -> None:
    """``count`` records of bot with a zero vector each (cosine 0 with any query)."""
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO memory_records(agent, namespace, key, text, created_at, updated_at) "
            "SELECT 'bot', '/filler', 'f' || i, 'filler', 0, 0 FROM n",
            (count,),
        )
        conn.execute(
            "INSERT INTO memory_vectors(rid, agent, model, vec) SELECT rid, 'bot', 'zero', "
            "zeroblob(1024) FROM memory_records WHERE namespace = '/filler'"
        )
    conn.close()


def log_of(home: Path) -> str:
    return (home / "test-emulator.log").read_text(errors="replace")


def wait_for(home: Path, text: str) -> None:
    deadline = time.monotonic() + 120
    while text not in log_of(home):
        assert time.monotonic() < deadline, f"no {text!r} in the log:\n{log_of(home)[-3000:]}"
        time.sleep(0.01)


def test_the_emulator_answers_while_an_agents_vectors_load(tmp_path: Path, free_port: int) -> None:
    home = tmp_path / "home"
    home.mkdir()
    emu = start_emulator(home, free_port, "process", {"NEXUS_LOG_LEVEL": "INFO"})
    try:
        assert emu.client.put(f"{ADMIN}/vectors", json={"enabled": True}).status_code == 200
        r = emu.client.put(
            f"{ADMIN}/records", json={"namespace": "/pets", "text": "Bob keeps two dogs at home"}
        )
        assert r.status_code == 200, r.text
        deadline = time.monotonic() + 60
        while emu.client.get(f"{ADMIN}/vectors").json()["embedded"] != 1:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        emu.stop()
    fill(home / "state.db", FILLER)

    emu = start_emulator(home, free_port, "process", {"NEXUS_LOG_LEVEL": "INFO"})
    results: list[list[dict[str, Any]]] = []

    def search(query: str) -> None:
        with httpx.Client(base_url=emu.url, headers=emu.client.headers, timeout=120) as c:
            r = c.post(f"{ADMIN}/search", json={"query": query, "mode": "vector", "top_k": 1})
            assert r.status_code == 200, r.text
            results.append(r.json())

    try:
        searches = [threading.Thread(target=search, args=("dogs",)) for _ in range(2)]
        searches[0].start()
        wait_for(home, LOADING)
        searches[1].start()  # comes during the load: waits for the same one
        answered_during_load = 0
        put_during_load = False
        while LOADED not in log_of(home):
            assert emu.client.get("/v1/health/ready", timeout=10).status_code == 200
            if not put_during_load:
                r = emu.client.put(
                    f"{ADMIN}/records",
                    json={"namespace": "/pets", "text": "Ann rides a black horse"},
                    timeout=10,
                )
                assert r.status_code == 200, r.text
                put_during_load = LOADED not in log_of(home)
            if LOADED not in log_of(home):  # answered before the load was over
                answered_during_load += 1
        for t in searches:
            t.join(timeout=120)
        assert answered_during_load >= 1, log_of(home)[-3000:]
        assert put_during_load, "the load ended before a record could be put during it"
        assert log_of(home).count(LOADING) == 1  # one load for both searches
        assert [[h["record"]["text"] for h in hits] for hits in results] == [
            ["Bob keeps two dogs at home"]
        ] * 2
        # the record put during the load is in the loaded matrix
        r = emu.client.post(f"{ADMIN}/search", json={"query": "horse", "mode": "vector"})
        assert r.status_code == 200, r.text
        assert r.json()[0]["record"]["text"] == "Ann rides a black horse"
    finally:
        emu.stop()
