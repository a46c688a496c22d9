"""A LangGraph graph served by the Nexus runtime server, through the LangGraphAgent adapter."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "langgraph"


@pytest.fixture
def server(free_port: int) -> Iterator[str]:
    env = {**os.environ, "NEXUS_HOST": "127.0.0.1", "PORT": str(free_port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "nexus.ai.agents.serve", "agent:GraphAgent"],
        cwd=EXAMPLE,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{free_port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", free_port), timeout=0.5):
                break
        except OSError:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(
                    f"the LangGraph agent did not listen on {url} in 30 s"
                ) from None
            time.sleep(0.05)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def invoke(url: str, body: dict[str, Any], session: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if session:
        headers["X-Nexus-Session-Id"] = session
    req = urllib.request.Request(
        url + "/invocations", data=json.dumps(body).encode(), headers=headers
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return dict(json.loads(resp.read()))


def test_graph_routes_and_answers(server: str) -> None:
    assert invoke(server, {"input": "add 2 and 40"})["output"] == "The sum is 42."
    assert invoke(server, {"input": "hello there"})["output"] == (
        "You said 2 words; ask me to add numbers."
    )
    # an object is the graph's input state; the answer is still the last message
    state = {"messages": [{"role": "user", "content": "1 2 3"}]}
    assert invoke(server, {"input": state})["output"] == "The sum is 6."
