"""The first call after an emulator restart answers: ready means adopted replicas are checked,
and a call that comes while replicas start waits for one. When none can answer, 503 with
Retry-After after a bounded wait."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.emulator.conftest import Emu, start_emulator, write_agent
from tests.reliability.test_crash import restart_after_kill


def freeze(emu: Emu, replica: str, frozen: bool) -> None:
    """Stop (or let go on) a replica without ending it."""
    with contextlib.suppress(ProcessLookupError, subprocess.CalledProcessError):
        if emu.runtime == "process":
            os.kill(int(replica.removeprefix("pid:")), signal.SIGSTOP if frozen else signal.SIGCONT)
        else:
            verb = "pause" if frozen else "unpause"
            subprocess.run(["docker", verb, replica], check=True, capture_output=True)


def test_first_call_after_a_restart_answers(emu: Emu, tmp_path: Path) -> None:
    project = write_agent(tmp_path / "echo")
    events = emu.deploy("echo", project, env="staging", replicas=2)
    assert events[-1]["event"] == "result", events
    for trial in range(3):  # kill -9: the replicas outlive it and are adopted
        restart_after_kill(emu)
        first = emu.client.post("/agents/echo/run?env=staging", json={"input": trial})
        assert first.status_code == 200, (trial, first.text)
        assert first.json()["output"]["echo"] == trial
    # replicas that outlive the emulator but answer nothing: checked before ready, replaced,
    # and the first call waits for a new one instead of failing
    ids = [r["id"] for r in emu.client.get("/v1/agents/echo").json()["environments"][0]["replicas"]]
    for replica in ids:
        freeze(emu, replica, True)
    try:
        restart_after_kill(emu)
        first = emu.client.post("/agents/echo/run?env=staging", json={"input": "frozen"})
        assert first.status_code == 200, first.text
        assert first.json()["metadata"]["replica"] not in [i[:12] for i in ids]
    finally:
        for replica in ids:
            freeze(emu, replica, False)
    emu.stop()  # a clean stop: the replicas may go with it, and are started again
    again = start_emulator(emu.home, emu.port, emu.runtime)
    emu.proc, emu.client = again.proc, again.client
    first = emu.client.post("/agents/echo/run?env=staging", json={"input": "clean"})
    assert first.status_code == 200, first.text


def test_no_replica_that_answers_is_503_with_retry_after(quick: Emu, tmp_path: Path) -> None:
    emu = quick
    events = emu.deploy("echo", write_agent(tmp_path / "echo"))
    replica = events[-1]["result"]["replicas"][0]["id"]
    pid = int(replica.removeprefix("pid:"))
    os.kill(pid, signal.SIGSTOP)  # alive, but answers nothing: not replaced, not healthy
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            env = emu.client.get("/v1/agents/echo").json()["environments"][0]
            if all(r["state"] == "unhealthy" for r in env["replicas"]):
                break
            time.sleep(0.1)
        started = time.monotonic()
        answer = emu.client.post("/agents/echo/run", json={"input": "x"})
        waited = time.monotonic() - started
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "2"
        assert answer.json()["error"]["code"] == "unavailable"
        assert "waited 1.5 s" in answer.json()["error"]["message"]
        assert 1.4 <= waited < 10
    finally:
        os.kill(pid, signal.SIGCONT)
    back = emu.client.post("/agents/echo/run", json={"input": "back"})
    assert back.status_code == 200, back.text  # waited for the health check to see it again
