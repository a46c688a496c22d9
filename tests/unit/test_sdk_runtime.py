"""The runtime server's life: start-up failures, busy status, SIGTERM, the model client."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from nexus.ai.agents import Agent, Context
from nexus.ai.project import load_project

REPO = Path(__file__).resolve().parents[2]

AGENTS = """
import asyncio, os
from nexus.ai.agents import Agent

class Seeded(Agent):
    def __init__(self):
        # Secrets are injected as environment variables
        self.api_key = os.environ["EXTERNAL_API_KEY"]

    async def process(self, input: str):
        return {"key_suffix": self.api_key[-3:], "user": self.context.user_id}

class Slow(Agent):
    async def process(self, input):
        await asyncio.sleep(float(input))
        return "slept"

class Gate(Agent):
    # marks its entry with a file, then waits until the file named by its input exists

    async def process(self, input):
        open(input + ".in." + self.context.request_id, "w").close()
        while not os.path.exists(input):
            await asyncio.sleep(0.01)
        return "through"

class Thinker(Agent):
    async def process(self, input: str):
        return await self.llm.generate(input)

class NoProcess(Agent):
    pass

def plain(input):
    return {"plain": input}
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    cwd: Path, entry: str | None, env: dict[str, str] | None = None, wait: bool = True
) -> tuple[subprocess.Popen[str], int]:
    port = _port()
    full_env = {**os.environ, "PORT": str(port), "NEXUS_HOST": "127.0.0.1", **(env or {})}
    args = [sys.executable, "-m", "nexus.ai.agents.serve"] + ([entry] if entry else [])
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env=full_env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    if wait:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"GET /ping HTTP/1.1\r\nHost: t\r\n\r\n")
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                time.sleep(0.01)
        else:
            proc.kill()
            raise AssertionError("the agent server did not answer /ping within 10 s")
    return proc, port


def post(port: int, body: Any, timeout: float = 10) -> tuple[int, Any]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("POST", "/invocations", json.dumps(body))
    r = c.getresponse()
    data = json.loads(r.read())
    c.close()
    return r.status, data


def ping(port: int) -> dict[str, Any]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/ping")
    doc: dict[str, Any] = json.loads(c.getresponse().read())
    c.close()
    return doc


def stop(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=15)
    return proc.returncode, out, err


@pytest.fixture
def agent_dir(tmp_path: Path) -> Path:
    (tmp_path / "agents.py").write_text(textwrap.dedent(AGENTS))
    return tmp_path


def test_seed_init_without_super_reads_its_secret(agent_dir: Path) -> None:
    proc, port = start(agent_dir, "agents:Seeded", {"EXTERNAL_API_KEY": "sk-abc123"})
    try:
        status, doc = post(port, {"input": "hi", "context": {"user_id": "123"}})
    finally:
        code, _, _ = stop(proc)
    assert status == 200
    assert doc["output"] == {"key_suffix": "123", "user": "123"}
    assert code == 0


def test_failing_constructor_exits_non_zero_with_a_message(agent_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "EXTERNAL_API_KEY"}
    proc = subprocess.run(
        [sys.executable, "-m", "nexus.ai.agents.serve", "agents:Seeded"],
        cwd=agent_dir,
        env={**env, "PORT": str(_port())},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 1
    assert proc.stderr == ""
    last = json.loads(proc.stdout.strip().splitlines()[-1])  # one JSON record, last
    assert last["level"] == "error"
    assert last["logger"] == "nexus.agents"
    assert last["msg"] == "cannot create the agent agents:Seeded: KeyError: 'EXTERNAL_API_KEY'"
    assert "Traceback (most recent call last)" in last["traceback"]
    assert 'os.environ["EXTERNAL_API_KEY"]' in last["traceback"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("missing_mod:Agent", "cannot import module 'missing_mod' of entrypoint"),
        ("broken:Agent", "cannot import module 'broken' of entrypoint 'broken:Agent': SyntaxError"),
        ("agents:Nope", "module 'agents' has no attribute 'Nope'"),
        ("agents:NoProcess", "agents:NoProcess has no process(self, input) method"),
    ],
)
def test_bad_entrypoints_exit_1_with_one_clear_line(
    agent_dir: Path, entry: str, message: str
) -> None:
    (agent_dir / "broken.py").write_text("def oops(:\n")
    proc = subprocess.run(
        [sys.executable, "-m", "nexus.ai.agents.serve", entry],
        cwd=agent_dir,
        env={**os.environ, "PORT": str(_port())},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 1
    assert proc.stderr == ""
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    assert last["level"] == "error"
    assert message in last["msg"]


def test_entrypoint_from_env_and_usage_errors(agent_dir: Path) -> None:
    proc, port = start(agent_dir, None, {"NEXUS_ENTRYPOINT": "agents:plain"})
    try:
        status, doc = post(port, {"input": "x"})
    finally:
        assert stop(proc)[0] == 0
    assert status == 200
    assert doc["output"] == {"plain": "x"}

    env = {k: v for k, v in os.environ.items() if k != "NEXUS_ENTRYPOINT"}
    none = subprocess.run(
        [sys.executable, "-m", "nexus.ai.agents.serve"],
        cwd=agent_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert none.returncode == 2
    assert "no agent entrypoint" in none.stderr
    assert none.stdout == ""  # a usage error is plain text on stderr, not a log record
    bad_port = subprocess.run(
        [sys.executable, "-m", "nexus.ai.agents.serve", "agents:plain"],
        cwd=agent_dir,
        env={**env, "PORT": "http"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad_port.returncode == 2
    assert "PORT='http' is not a port number" in bad_port.stderr


def test_ping_reports_busy_during_a_slow_request(agent_dir: Path) -> None:
    proc, port = start(agent_dir, "agents:Slow")
    try:
        before = ping(port)
        result: dict[str, Any] = {}
        t = threading.Thread(target=lambda: result.update(r=post(port, {"input": 1.0})))
        t.start()
        deadline = time.monotonic() + 5
        busy = ping(port)
        while busy["status"] != "HealthyBusy" and time.monotonic() < deadline:
            time.sleep(0.02)
            busy = ping(port)
        t.join()
        after = ping(port)
    finally:
        stop(proc)
    assert before["status"] == "Healthy"
    assert busy["status"] == "HealthyBusy"
    assert busy["time_of_last_update"] >= before["time_of_last_update"]
    assert after["status"] == "Healthy"
    assert result["r"] == (
        200,
        {"output": "slept", "metadata": {"tokens_used": 0}},
    )


def test_ping_reports_busy_at_its_max_concurrency(agent_dir: Path) -> None:
    """NEXUS_MAX_CONCURRENCY=2: Healthy with one call in, HealthyBusy with two."""
    gate = str(agent_dir / "gate")
    proc, port = start(agent_dir, "agents:Gate", env={"NEXUS_MAX_CONCURRENCY": "2"})
    results: list[tuple[int, Any]] = []
    calls = [threading.Thread(target=lambda: results.append(post(port, gate))) for _ in range(2)]

    def entered(count: int) -> None:
        deadline = time.monotonic() + 10
        while len(list(agent_dir.glob("gate.in.*"))) < count:
            assert time.monotonic() < deadline, "the call did not reach the agent"
            time.sleep(0.01)

    try:
        calls[0].start()
        entered(1)
        one = ping(port)
        calls[1].start()
        entered(2)
        two = ping(port)
        Path(gate).touch()
        for t in calls:
            t.join(timeout=10)
        after = ping(port)
    finally:
        Path(gate).touch()
        stop(proc)
    assert one["status"] == "Healthy"
    assert two["status"] == "HealthyBusy"
    assert after["status"] == "Healthy"
    assert [status for status, _ in results] == [200, 200]


def test_sigterm_lets_the_in_flight_request_finish_and_exits_0(agent_dir: Path) -> None:
    proc, port = start(agent_dir, "agents:Slow")
    result: dict[str, Any] = {}
    t = threading.Thread(target=lambda: result.update(r=post(port, {"input": 0.8})))
    t.start()
    while ping(port)["status"] != "HealthyBusy":
        time.sleep(0.01)
    code, out, _ = stop(proc)
    t.join()
    assert code == 0
    assert result["r"][0] == 200
    assert result["r"][1]["output"] == "slept"
    msgs = [json.loads(line)["msg"] for line in out.splitlines() if line.startswith("{")]
    # the request was answered after the stop began, then the server stopped
    assert msgs == ["agent ready", "stopping", "POST /invocations 200", "stopped"]


def test_sigterm_with_idle_keep_alive_connection_exits_fast(agent_dir: Path) -> None:
    proc, port = start(agent_dir, "agents:Slow")
    idle = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    idle.request("GET", "/ping")
    idle.getresponse().read()
    started = time.monotonic()
    code, _, _ = stop(proc)
    assert code == 0
    assert time.monotonic() - started < 2
    idle.close()


def test_startup_is_fast(agent_dir: Path) -> None:
    started = time.perf_counter()
    proc, _ = start(agent_dir, "agents:plain")
    elapsed = time.perf_counter() - started
    stop(proc)
    assert elapsed < 2.0  # typically ~45 ms here; a generous bound for loaded machines


# ---------------------------------------------------------------- the model gateway


class Gateway(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Gateway.seen.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        answer = {
            "choices": [
                {
                    "message": {
                        "role": "assistant",
                        "content": "echo: " + body["messages"][-1]["content"],
                    }
                }
            ],
            "usage": {"total_tokens": 42},
        }
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    Gateway.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_llm_calls_the_gateway_and_counts_tokens(agent_dir: Path, gateway: str) -> None:
    env = {"NEXUS_GATEWAY_URL": gateway + "/", "NEXUS_WORKLOAD_TOKEN": "wt-1"}
    proc, port = start(agent_dir, "agents:Thinker", env)
    try:
        status, doc = post(port, {"input": "Explain quantum physics"})
    finally:
        stop(proc)
    assert status == 200
    assert doc == {"output": "echo: Explain quantum physics", "metadata": {"tokens_used": 42}}
    (call,) = Gateway.seen
    assert call["path"] == "/v1/chat/completions"
    assert call["auth"] == "Bearer wt-1"
    assert call["body"]["messages"] == [{"role": "user", "content": "Explain quantum physics"}]


def test_llm_without_a_gateway_fails_clearly(agent_dir: Path) -> None:
    proc, port = start(agent_dir, "agents:Thinker", {"NEXUS_GATEWAY_URL": ""})
    try:
        status, doc = post(port, {"input": "hi"})
    finally:
        stop(proc)
    assert status == 500
    assert doc["error"]["type"] == "GatewayNotConfigured"
    assert "no model gateway is configured for this agent" in doc["error"]["message"]


# ---------------------------------------------------------------- in process, and the sample


def test_context_outside_a_request_is_a_clear_error() -> None:
    class Bare(Agent):
        def __init__(self) -> None:
            pass

    with pytest.raises(RuntimeError, match="only set while the runtime processes a request"):
        _ = Bare().context
    assert Context(request_id="r").context == {}


def test_hello_example_is_a_valid_project_that_answers() -> None:
    project = load_project(REPO / "examples" / "hello")
    assert (project.name, project.entrypoint, project.version) == (
        "hello",
        "agent:HelloAgent",
        "1.0.0",
    )
    assert project.environments["production"].replicas == 2
    proc, port = start(REPO / "examples" / "hello", project.entrypoint)
    try:
        status, doc = post(port, {"input": "Analyze this document", "context": {"user_id": "123"}})
        _, anonymous = post(port, "one")
    finally:
        stop(proc)
    assert status == 200
    assert doc["output"] == "Hello user 123! Your message has 3 words."
    assert anonymous["output"] == "Hello there! Your message has 1 word."


def test_sigterm_does_not_wait_forever_for_a_stuck_sync_request(agent_dir: Path) -> None:
    (agent_dir / "stuck.py").write_text(
        "import time\nfrom nexus.ai.agents import Agent\n"
        "class Stuck(Agent):\n    def process(self, input):\n        time.sleep(60)\n"
    )
    proc, port = start(agent_dir, "stuck:Stuck", {"NEXUS_SHUTDOWN_GRACE": "0.3"})
    t = threading.Thread(target=lambda: _ignore_errors(post, port, {"input": 1}), daemon=True)
    t.start()
    while ping(port)["status"] != "HealthyBusy":
        time.sleep(0.01)
    started = time.monotonic()
    code, out, _ = stop(proc)
    assert code == 0
    assert time.monotonic() - started < 5
    assert "still running in a worker thread" in out


def _ignore_errors(fn: Any, *args: Any) -> None:
    with contextlib.suppress(OSError, http.client.HTTPException):
        fn(*args)
