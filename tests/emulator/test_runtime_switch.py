"""A runtime switch: versions built by Docker run after a restart on the process runtime."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.emulator.conftest import Emu, start_emulator, write_agent

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _answer(emu: Emu, deadline_s: float = 180) -> httpx.Response:
    """The agent's answer once it answers (its replicas start after the emulator is ready)."""
    deadline = time.monotonic() + deadline_s
    while True:
        r = emu.client.post("/agents/switcher/run", json={"input": "hi"})
        if r.status_code == 200 or time.monotonic() > deadline:
            return r
        time.sleep(0.2)


def test_a_docker_version_is_rebuilt_for_the_process_runtime(
    tmp_path: Path, free_port: int
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    docker = start_emulator(home, free_port, "docker")
    try:
        events = docker.deploy("switcher", write_agent(tmp_path / "switcher"))
        assert events[-1]["event"] == "result", events
        assert _answer(docker).json()["output"]["tag"] == "v1"
        docker.stop()

        process = start_emulator(home, free_port, "process")
        try:
            answer = _answer(process)
            assert answer.status_code == 200, answer.text
            assert answer.json()["output"]["tag"] == "v1"
            assert answer.json()["metadata"]["revision"] == 1
            status = process.client.get("/v1/agents/switcher").json()
            (development,) = status["environments"]
            assert development["runtime"] == "process"
            assert development["version"] == "r1"
            assert [r["state"] for r in development["replicas"]] == ["healthy"]
            history = process.client.get("/v1/agents/switcher/history").json()
            assert [v["revision"] for v in history["versions"]] == [1]  # the same version
        finally:
            process.client.post("/v1/admin/reset", timeout=120)
            process.stop()
    finally:  # the Docker side's containers and images
        docker = start_emulator(home, free_port, "docker")
        docker.client.post("/v1/admin/reset", timeout=120)
        docker.stop()
