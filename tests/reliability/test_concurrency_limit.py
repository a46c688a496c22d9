"""max_concurrency per replica: a full replica is given no more calls; they wait for a free
one (counted as queued in status), or get 503 with Retry-After when none frees in time. A
full replica's /ping says HealthyBusy, and status shows it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.emulator.conftest import Emu, running_emulator, write_agent
from tests.emulator.runtime_support import until

GATE = """
import asyncio, os

INSIDE = 0

class Gate(EchoAgent):
    async def process(self, input):
        global INSIDE
        INSIDE += 1
        try:
            with open(input + ".in." + self.context.request_id, "w") as f:
                f.write(f"{os.getpid()} {INSIDE}")
            while not os.path.exists(input):
                await asyncio.sleep(0.01)
            return "through"
        finally:
            INSIDE -= 1
"""


@pytest.fixture
def gated(tmp_path: Path, free_port: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emu]:
    """Two staging replicas of the Gate agent, one call at a time each."""
    monkeypatch.setenv("NEXUS_HEALTH_INTERVAL", "0.2")
    monkeypatch.setenv("NEXUS_REPLICA_WAIT", "60")
    with running_emulator(tmp_path, free_port, "process") as emu:
        events = emu.deploy(
            "gate",
            write_agent(tmp_path / "gate", extra=GATE),
            env="staging",
            replicas=2,
            max_concurrency=1,
            project={"entrypoint": "agent:Gate", "version": None},
        )
        assert events[-1]["event"] == "result", events
        yield emu


def call_in_thread(
    emu: Emu, gate: str, answers: list[httpx.Response], env: str = "staging"
) -> threading.Thread:
    def run() -> None:
        with httpx.Client(headers=emu.client.headers, timeout=90) as c:
            answers.append(c.post(f"{emu.url}/agents/gate/run?env={env}", json={"input": gate}))

    t = threading.Thread(target=run)
    t.start()
    return t


def environment(emu: Emu) -> dict[str, Any]:
    env: dict[str, Any] = emu.client.get("/v1/agents/gate").json()["environments"][0]
    return env


def test_a_full_replica_gets_no_more_calls_they_wait(gated: Emu, tmp_path: Path) -> None:
    emu, gate = gated, str(tmp_path / "open")

    def entered() -> list[Path]:
        return sorted(tmp_path.glob("open.in.*"))

    assert environment(emu)["max_concurrency"] == 1
    answers: list[httpx.Response] = []
    calls = [call_in_thread(emu, gate, answers) for _ in range(2)]
    until("both replicas hold a call", lambda: len([p for p in entered() if p.read_text()]) == 2)
    holders = {path.read_text().split()[0] for path in entered()}
    assert len(holders) == 2  # one call each: two processes
    until(
        "both replicas say HealthyBusy",
        lambda: all(r["busy"] and r["in_flight"] == 1 for r in environment(emu)["replicas"]),
    )
    calls.append(call_in_thread(emu, gate, answers))
    until("the third call waits for a replica", lambda: environment(emu)["queued"] == 1)
    assert len(entered()) == 2  # it reached no replica while both were full

    Path(gate).touch()
    for t in calls:
        t.join(timeout=60)
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    # answers come back in any order once the gate opens; the replicas that answered are two
    assert len({a.json()["metadata"]["replica"] for a in answers}) == 2
    seen = [path.read_text().split() for path in entered()]
    assert len(seen) == 3
    assert [inside for _pid, inside in seen] == ["1", "1", "1"]  # never two at once
    after = environment(emu)
    assert after["queued"] == 0
    assert [r["in_flight"] for r in after["replicas"]] == [0, 0]


def test_no_replica_frees_in_time_503_with_retry_after(
    tmp_path: Path, free_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXUS_REPLICA_WAIT", "1")
    with running_emulator(tmp_path, free_port, "process") as emu:
        events = emu.deploy(
            "gate",
            write_agent(tmp_path / "gate", extra=GATE),
            max_concurrency=1,
            project={"entrypoint": "agent:Gate", "version": None},
        )
        assert events[-1]["event"] == "result", events
        gate = str(tmp_path / "open")
        answers: list[httpx.Response] = []
        holding = call_in_thread(emu, gate, answers, env="development")
        until("the replica holds a call", lambda: list(tmp_path.glob("open.in.*")) or answers)
        assert not answers, [a.text for a in answers]
        try:
            refused = emu.client.post("/agents/gate/run", json={"input": gate})
        finally:
            Path(gate).touch()
            holding.join(timeout=60)
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "2"
    error = refused.json()["error"]
    assert error["message"] == "every replica of gate in development is busy (waited 1 s)"
    assert "--max-concurrency" in error["hint"]
    assert [a.status_code for a in answers] == [200]
