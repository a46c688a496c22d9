"""Outlier ejection: a replica whose calls keep failing while it still answers /ping gets no
more traffic and is replaced (as a replica whose pids limit is reached would)."""

from __future__ import annotations

import time
from pathlib import Path

from tests.emulator.conftest import Emu, write_agent

SICK = """
import os

class Sick(EchoAgent):
    async def process(self, input):
        if os.path.exists(%(marker)r + str(os.getpid())):
            raise BlockingIOError(11, "Resource temporarily unavailable")  # fork() at the limit
        return await super().process(input)
"""


def test_failing_replica_is_ejected_and_replaced(quick: Emu, tmp_path: Path) -> None:
    emu = quick
    marker = str(tmp_path / "sick-")
    project = write_agent(tmp_path / "echo", extra=SICK % {"marker": marker})
    events = emu.deploy(
        "echo",
        project,
        env="staging",
        replicas=2,
        project={"entrypoint": "agent:Sick", "version": None},
    )
    assert events[-1]["event"] == "result", events
    sick, well = (r["id"] for r in events[-1]["result"]["replicas"])
    Path(marker + sick.removeprefix("pid:")).touch()

    statuses = [
        emu.client.post("/agents/echo/run?env=staging", json={"input": i}).status_code
        for i in range(30)
    ]
    failed = statuses.count(500)
    assert 1 <= failed <= 5, statuses  # five in a row eject it: then only the well one answers
    assert statuses[-15:] == [200] * 15, statuses

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        replicas = emu.client.get("/v1/agents/echo").json()["environments"][0]["replicas"]
        ids = {r["id"] for r in replicas if r["state"] == "healthy"}
        if len(ids) == 2 and sick not in ids:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"the ejected replica was not replaced: {replicas}")
    assert well in ids
    log = (emu.home / "test-emulator.log").read_text()
    assert f"replacing replica {sick} of echo/staging: ejected after 5 failed calls" in log
