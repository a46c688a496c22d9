"""A stream that fails is a failed call: its trace says error and agent_errors_total counts it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.emulator.conftest import Emu, write_agent

# one chunk, then the agent raises (an error frame) or its process dies (the relay breaks)
FAILING = """
import os


class Failing(EchoAgent):
    async def process(self, input):
        yield "first "
        if input == "die":
            os._exit(3)
        raise ValueError("broke midway")
"""


def _stream(emu: Emu, text: str) -> list[dict[str, Any]]:
    with emu.client.stream("POST", "/agents/failing/stream", json={"input": text}) as r:
        assert r.status_code == 200
        return [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: ")]


def _errors(emu: Emu) -> int:
    prefix = 'agent_errors_total{agent="failing",env="development"} '
    for line in emu.client.get("/metrics").text.splitlines():
        if line.startswith(prefix):
            return int(float(line[len(prefix) :]))
    return 0


def _statuses(emu: Emu, count: int) -> list[str]:
    """The newest ``count`` traces' statuses, once that many are recorded."""
    deadline = time.monotonic() + 30
    while True:
        traces = emu.client.get("/v1/agents/failing/traces").json()
        if len(traces) >= count or time.monotonic() > deadline:
            return [t["status"] for t in traces]
        time.sleep(0.1)


def test_failed_streams_are_recorded_as_errors(emu: Emu, tmp_path: Path) -> None:
    project = write_agent(tmp_path / "failing", extra=FAILING)
    emu.deploy("failing", project, project={"entrypoint": "agent:Failing"})

    raised = _stream(emu, "x")
    assert raised[0] == {"text": "first "}
    assert raised[-1]["error"]["message"] == "broke midway"
    assert _errors(emu) == 1
    assert _statuses(emu, 1) == ["error"]

    died = _stream(emu, "die")
    assert died[0] == {"text": "first "}
    assert "the replica stopped answering" in died[-1]["error"]["message"], died
    assert _errors(emu) == 2
    assert _statuses(emu, 2) == ["error", "error"]
