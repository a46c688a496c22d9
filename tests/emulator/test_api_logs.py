"""Replica logs through the API: records, level and time filters, follow."""

from __future__ import annotations

import itertools
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
            "GET", "/v1/agents/chatty/logs", params={"follow": "true", "tail": 0}, timeout=60
        ) as r:
            for line in r.iter_lines():
                if line:
                    seen.append(json.loads(line))
                if any(x["msg"] == "thinking about coffee" for x in seen):
                    return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    # A call made before the follow has opened is not in a tail-0 stream: call until one shows.
    deadline = time.monotonic() + 60
    while reader.is_alive():
        assert time.monotonic() < deadline, seen
        emu.client.post("/agents/chatty/run", json={"input": "coffee"})
        reader.join(timeout=1)
    assert any(x["msg"] == "thinking about coffee" for x in seen), seen


PYLOG = """
import logging
import os
import sys

log = logging.getLogger("pylog")


class PyLog(EchoAgent):
    async def process(self, input):
        if input == "burst":
            log.error("an old error")
            for i in range(400):
                log.info("filler %d", i)
            return input
        log.debug("debug %s", input)
        log.info("info %s", input)
        log.warning("warning %s", input)
        log.error("error %s", input)
        try:
            raise KeyError(input)
        except KeyError:
            log.exception("failed %s", input)
        print("printed", input)
        print("to stderr", input, file=sys.stderr)
        os.write(2, b"raw fd 2\\n")
        return input
"""


def _wait_for(emu: Emu, msg: str, **params: str | float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10  # the engine's log driver may hand lines over late
    while True:
        found = records(emu, **params)
        if any(r["msg"] == msg for r in found):
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.1)


def test_python_logging_keeps_its_levels_and_call_ids(emu: Emu, tmp_path: Path) -> None:
    emu.deploy(
        "chatty", write_agent(tmp_path / "c", extra=PYLOG), project={"entrypoint": "agent:PyLog"}
    )
    assert emu.client.post("/agents/chatty/run", json={"input": "tea"}).status_code == 200
    every = _wait_for(emu, "raw fd 2")
    by_msg = {r["msg"]: r for r in every}
    assert "debug tea" not in by_msg  # the agent's loggers are at INFO by default
    expect = {
        "info tea": ("info", "pylog"),
        "warning tea": ("warning", "pylog"),
        "error tea": ("error", "pylog"),
        "failed tea": ("error", "pylog"),
        "printed tea": ("info", "stdout"),
        "to stderr tea": ("error", "stderr"),
        "raw fd 2": ("error", "stderr"),
    }
    for msg, (level, logger) in expect.items():
        assert (by_msg[msg]["level"], by_msg[msg]["logger"]) == (level, logger), by_msg[msg]
    assert "KeyError: 'tea'" in by_msg["failed tea"]["traceback"]
    call = by_msg["info tea"]
    assert call["request_id"]
    assert len(call.get("trace_id", "")) == 32
    for msg in ("warning tea", "failed tea", "printed tea", "to stderr tea"):
        assert by_msg[msg]["request_id"] == call["request_id"]
        assert by_msg[msg]["trace_id"] == call["trace_id"]

    errors = records(emu, level="error")
    assert {r["msg"] for r in errors} >= {"error tea", "failed tea", "to stderr tea", "raw fd 2"}
    assert all(r["level"] in ("error", "critical") for r in errors)
    mine = records(emu, request_id=call["request_id"][:8])
    assert {r["msg"] for r in mine} >= {"info tea", "printed tea", "POST /invocations 200"}
    assert all(r["request_id"] == call["request_id"] for r in mine)
    assert [r["msg"] for r in records(emu, grep="TO STDERR")] == ["to stderr tea"]


def test_filters_apply_before_the_tail(emu: Emu, tmp_path: Path) -> None:
    emu.deploy(
        "chatty", write_agent(tmp_path / "c", extra=PYLOG), project={"entrypoint": "agent:PyLog"}
    )
    assert emu.client.post("/agents/chatty/run", json={"input": "burst"}).status_code == 200
    _wait_for(emu, "filler 399")
    # 400 info lines came after the error: it is found all the same
    assert [r["msg"] for r in records(emu, level="error", tail=100)] == ["an old error"]
    assert [r["msg"] for r in records(emu, level="error", tail=1)] == ["an old error"]
    assert [r["msg"] for r in records(emu, grep="old ERROR", tail=5)] == ["an old error"]
    assert [r["msg"] for r in records(emu, grep="filler 1", tail=2)] == ["filler 198", "filler 199"]
    assert records(emu, level="error", since=time.time() + 60) == []
    [replica] = {r["replica"] for r in records(emu, tail=1)}
    assert records(emu, replica=replica, tail=1)[0]["replica"] == replica
    assert records(emu, replica="no-such-replica") == []
    assert all(r["version"] == "r1" for r in records(emu, version="r1", tail=3))
    assert emu.client.get("/v1/agents/chatty/logs", params={"version": "9.9"}).status_code == 404


def test_follow_picks_up_a_replica_started_later(emu: Emu, tmp_path: Path) -> None:
    emu.deploy("chatty", write_agent(tmp_path / "c"), env="staging", replicas=1)
    [first] = {r["replica"] for r in records(emu, tail=1)}
    seen: list[dict[str, Any]] = []

    opened = threading.Event()

    def read() -> None:
        with emu.client.stream(
            "GET", "/v1/agents/chatty/logs", params={"follow": "true", "tail": 0}, timeout=60
        ) as r:
            opened.set()
            for line in r.iter_lines():
                if line:
                    seen.append(json.loads(line))
                if any(x["replica"] != first and x["msg"] == "agent ready" for x in seen):
                    return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert opened.wait(timeout=30), "the follow did not open"
    time.sleep(1.0)  # the follow has taken its first look at the replicas' logs
    up = emu.client.post("/v1/agents/chatty/scale", json={"env": "staging", "replicas": 2})
    assert up.status_code == 200, up.text
    reader.join(timeout=30)
    # the new replica's first line ("agent ready") came through the open stream
    assert any(x["replica"] != first and x["msg"] == "agent ready" for x in seen), seen


TICKER = """
import logging
import threading
import time

log = logging.getLogger("ticker")


class Ticker(EchoAgent):
    async def process(self, input):
        def tick():
            for n in range(input):
                log.warning("tick %d", n)
                time.sleep(0.002)

        threading.Thread(target=tick, daemon=True).start()
        return "ticking"
"""


def test_follow_opened_mid_stream_has_no_gap_and_no_duplicate(emu: Emu, tmp_path: Path) -> None:
    emu.deploy(
        "chatty", write_agent(tmp_path / "c", extra=TICKER), project={"entrypoint": "agent:Ticker"}
    )
    total = 1500  # ~3 s of lines, one every 2 ms
    assert emu.client.post("/agents/chatty/run", json={"input": total}).status_code == 200
    time.sleep(1.0)  # the follow opens while the agent writes
    ticks: list[int] = []
    with emu.client.stream(
        "GET",
        "/v1/agents/chatty/logs",
        params={"follow": "true", "tail": 200, "level": "warning"},
        timeout=60,
    ) as r:
        for line in r.iter_lines():
            if line:
                ticks.append(int(json.loads(line)["msg"].split()[1]))
            if ticks and ticks[-1] == total - 1:
                break
    assert len(ticks) > 200  # the backlog, then what followed
    assert ticks == list(range(ticks[0], total)), [
        (a, b) for a, b in itertools.pairwise(ticks) if b != a + 1
    ]
