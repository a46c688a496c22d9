"""Replica logs through the API: records, level and time filters, follow."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from tests.emulator.conftest import Emu, write_agent

CHATTY = """

class Chatty(EchoAgent):
    async def process(self, input):
        print(f"thinking about {input}")
        if input == "fail":
            raise ValueError("cannot do fail")
        return input
"""


def records(emu: Emu, **params: str | float) -> list[dict[str, Any]]:
    r = emu.client.get("/v1/agents/chatty/logs", params=params)
    assert r.status_code == 200, r.text
    return [json.loads(line) for line in r.text.splitlines() if line]


def test_logs_records_and_filters(emu: Emu, tmp_path: Path) -> None:
    emu.deploy(
        "chatty", write_agent(tmp_path / "c", extra=CHATTY), project={"entrypoint": "agent:Chatty"}
    )
    assert emu.client.post("/agents/chatty/run", json={"input": "tea"}).status_code == 200
    assert emu.client.post("/agents/chatty/run", json={"input": "fail"}).status_code == 500

    # the engine's log driver may hand the last lines over a moment later
    deadline = time.monotonic() + 10
    while not any("cannot do fail" in r.get("error", "") for r in records(emu)):
        assert time.monotonic() < deadline, records(emu)
        time.sleep(0.1)
    every = records(emu)
    msgs = [r["msg"] for r in every]
    assert "thinking about tea" in msgs  # print() output is a record too
    assert any(m == "POST /invocations 200" for m in msgs)
    assert all(r["env"] == "development" and r["replica"] for r in every)

    errors = records(emu, level="error")
    assert errors
    assert all(r["level"] == "error" for r in errors)
    assert any("cannot do fail" in r.get("error", "") for r in errors)
    assert "Traceback" in next(r["traceback"] for r in errors if "traceback" in r)

    assert records(emu, since=time.time() + 3600) == []
    assert len(records(emu, tail=1)) == 1
    bad = emu.client.get("/v1/agents/chatty/logs", params={"level": "loud"})
    assert bad.status_code == 400, bad.text
    assert emu.client.get("/v1/agents/chaty/logs").status_code == 404


def test_follow_streams_new_records(emu: Emu, tmp_path: Path) -> None:
    emu.deploy(
        "chatty", write_agent(tmp_path / "c", extra=CHATTY), project={"entrypoint": "agent:Chatty"}
    )
    seen: list[dict[str, Any]] = []

    def read() -> None:
        with emu.client.stream(
            "GET", "/v1/agents/chatty/logs", params={"follow": "true", "tail": 0}, timeout=30
        ) as r:
            for line in r.iter_lines():
                if line:
                    seen.append(json.loads(line))
                if any(x["msg"] == "thinking about coffee" for x in seen):
                    return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(1.0)  # the follow has started
    emu.client.post("/agents/chatty/run", json={"input": "coffee"})
    reader.join(timeout=20)
    assert any(x["msg"] == "thinking about coffee" for x in seen), seen
