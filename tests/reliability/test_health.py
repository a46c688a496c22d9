"""A replica that dies is taken out of routing at once and replaced by the health monitor."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.emulator.conftest import Emu, write_agent


def kill_replica(emu: Emu, replica_id: str) -> None:
    if emu.runtime == "process":
        os.kill(int(replica_id.removeprefix("pid:")), signal.SIGKILL)
    else:
        subprocess.run(["docker", "kill", replica_id], check=True, capture_output=True)


def test_dead_replica_is_routed_around_then_replaced(emu: Emu, tmp_path: Path) -> None:
    project = write_agent(tmp_path / "echo")
    events = emu.deploy("echo", project, env="staging", replicas=2)
    assert events[-1]["event"] == "result", events
    before = [r["id"] for r in events[-1]["result"]["replicas"]]
    assert len(before) == 2

    kill_replica(emu, before[0])
    for i in range(6):  # every call still answers: a refused connection goes to the other
        r = emu.client.post("/agents/echo/run", json={"input": f"call {i}"})
        assert r.status_code == 200, r.text

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        env = emu.client.get("/v1/agents/echo").json()["environments"][0]
        ids = [r["id"] for r in env["replicas"] if r["state"] == "healthy"]
        if len(ids) == 2 and before[0] not in ids:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"the dead replica was not replaced: {env['replicas']}")
    assert before[1] in ids
    assert emu.client.post("/agents/echo/run", json={"input": "after"}).status_code == 200
