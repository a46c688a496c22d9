"""pids and memory per replica in status, from the Docker engine's stats; a replica near its
pids limit is shown under pressure (the state that once kept a sick replica "healthy")."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nexus.ai.spec import parse_memory
from tests.emulator.conftest import Emu, running_emulator, write_agent

THREADS = """
import threading

HELD = threading.Event()

class Threads(EchoAgent):
    async def process(self, input):
        for _ in range(int(input)):  # each thread is one pid of the container's cgroup
            threading.Thread(target=HELD.wait, daemon=True).start()
        return threading.active_count()
"""


@pytest.fixture
def docker_emu(tmp_path: Path, free_port: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emu]:
    monkeypatch.setenv("NEXUS_HEALTH_INTERVAL", "0.5")
    with running_emulator(tmp_path, free_port, "docker") as emu:
        yield emu


def usage_of(emu: Emu, check: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    usage: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        replicas = emu.client.get("/v1/agents/echo").json()["environments"][0]["replicas"]
        usage = replicas[0].get("usage")
        if usage and check(usage):
            return usage
        time.sleep(0.2)
    raise AssertionError(f"status never showed the expected usage: {usage}")


@pytest.mark.docker
def test_status_shows_pids_and_memory_and_pids_pressure(docker_emu: Emu, tmp_path: Path) -> None:
    emu = docker_emu
    events = emu.deploy(
        "echo",
        write_agent(tmp_path / "echo", extra=THREADS),
        memory="256Mi",
        project={"entrypoint": "agent:Threads", "version": None},
    )
    assert events[-1]["event"] == "result", events
    calm = usage_of(emu, lambda u: u["pids"] is not None)
    assert calm["pids_limit"] == 256
    assert calm["memory_limit_bytes"] == parse_memory("256Mi")
    assert 0 < calm["memory_bytes"] < calm["memory_limit_bytes"]
    assert calm["pressure"] == []

    answer = emu.client.post("/agents/echo/run", json={"input": 240 - calm["pids"]})
    assert answer.status_code == 200, answer.text
    tight = usage_of(emu, lambda u: u["pressure"])
    assert tight["pressure"] == ["pids"]
    assert tight["pids"] >= 0.9 * 256
