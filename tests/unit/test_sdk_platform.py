"""The SDK's side of workload identity: the platform file (read again when it changes),
the replica secret the server checks, and the caller the platform passes."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexus.ai.agents._context import build_context
from nexus.ai.agents._platform import PlatformFile

AGENT = """
from nexus.ai.agents import Agent

class Who(Agent):
    async def process(self, input):
        caller = self.context.caller
        return {"token": self.workload_token, "caller": caller and caller.subject}
"""
SECRET = "s" * 64


def write(path: Path, data: dict[str, object]) -> None:
    tmp = path.with_name(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)  # as the platform does: one rename


def test_platform_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "platform.json"
    write(path, {"workload_token": "t1", "replica_secret": SECRET})
    platform = PlatformFile(str(path))
    assert platform.get("workload_token") == "t1"
    write(path, {"workload_token": "t2", "replica_secret": SECRET})
    assert platform.get("workload_token") == "t2"
    path.write_text("{not json")  # a damaged file: the last good content stays
    assert platform.get("workload_token") == "t2"
    path.unlink()
    assert platform.get("workload_token") == "t2"


def test_caller_header_becomes_context_caller() -> None:
    header = json.dumps(
        {"subject": "alice", "kind": "caller", "scopes": ["agents:invoke"], "claims": {"sub": "a"}}
    )
    ctx = build_context("r1", {"x-nexus-caller": header}, {})
    assert ctx.caller is not None
    assert (ctx.caller.subject, ctx.caller.kind, ctx.caller.scopes) == (
        "alice",
        "caller",
        ("agents:invoke",),
    )
    assert build_context("r2", {"x-nexus-caller": "{broken"}, {}).caller is None
    assert build_context("r3", {}, {}).caller is None


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    (tmp_path / "agent.py").write_text(textwrap.dedent(AGENT))
    platform = tmp_path / "platform.json"
    write(platform, {"workload_token": "tok-1", "replica_secret": SECRET})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = dict(
        os.environ, PORT=str(port), NEXUS_HOST="127.0.0.1", NEXUS_PLATFORM_FILE=str(platform)
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "nexus.ai.agents.serve", "agent:Who"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.02)
        yield port, platform
    finally:
        proc.terminate()
        proc.wait(10)


def call(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = b'{"input": "x"}' if path == "/invocations" else None
    conn.request("POST" if body else "GET", path, body, headers)
    answer = conn.getresponse()
    data = answer.read()
    conn.close()
    return answer.status, data


def test_server_answers_only_the_platform(served: tuple[int, Path]) -> None:
    port, platform = served
    for headers in ({}, {"X-Nexus-Replica-Secret": "guess"}):
        assert call(port, "/invocations", headers)[0] == 401
        assert call(port, "/ping", headers)[0] == 401
    ok = {"X-Nexus-Replica-Secret": SECRET, "X-Nexus-Caller": json.dumps({"subject": "bob"})}
    status, data = call(port, "/invocations", ok)
    assert status == 200
    assert json.loads(data)["output"] == {"token": "tok-1", "caller": "bob"}
    write(platform, {"workload_token": "tok-2", "replica_secret": SECRET})  # refreshed
    assert json.loads(call(port, "/invocations", ok)[1])["output"]["token"] == "tok-2"


def test_a_platform_file_without_the_secret_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text(textwrap.dedent(AGENT))
    platform = tmp_path / "platform.json"
    write(platform, {"workload_token": "t"})
    env = dict(os.environ, PORT="0", NEXUS_PLATFORM_FILE=str(platform))
    proc = subprocess.run(
        [sys.executable, "-m", "nexus.ai.agents.serve", "agent:Who"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 1
    assert "cannot read the replica's secret" in proc.stdout + proc.stderr
