"""The runtime server as a real subprocess, spoken to over HTTP on loopback."""

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
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

AGENTS = """
import threading
from nexus.ai.agents import Agent, Context

class Echo(Agent):
    async def process(self, input):
        c = self.context
        print("processing", c.request_id)
        return {"input": input, "user_id": c.user_id, "session_id": c.session_id,
                "request_id": c.request_id, "context": c.context,
                "custom": c.headers.get("x-custom")}

class WithContext(Agent):
    async def process(self, input, ctx: Context):
        return {"same": ctx is self.context, "user": ctx.user_id}

class Sync(Agent):
    def process(self, input):
        return {"thread": threading.current_thread().name, "user": self.context.user_id,
                "upper": str(input).upper()}

class Words(Agent):
    async def process(self, input):
        for word in input.split():
            yield word

class SyncGen(Agent):
    def process(self, input):
        yield "a"
        yield {"n": 1}
        yield ["x", 2]

class BrokenStream(Agent):
    async def process(self, input):
        yield "first"
        raise RuntimeError("stream broke")

class Fails(Agent):
    async def process(self, input):
        raise ValueError("bad input: " + str(input))

class Unserializable(Agent):
    async def process(self, input):
        return {"x": object()}

class Text(Agent):
    async def process(self, input):
        return "plain text"
"""


class Served:
    def __init__(self, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.proc, self.port, self.log = proc, port, log

    def conn(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        c = self.conn()
        raw = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        c.request(method, path, raw, headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def log_lines(self, until: str | None = None) -> list[str]:
        """The server's output so far; with ``until``, wait (briefly) for a line holding it:
        the request's log line is written just after its answer is sent."""
        deadline = time.monotonic() + 5
        while True:
            lines = self.log.read_text().splitlines()
            if until is None or any(until in x for x in lines) or time.monotonic() > deadline:
                return lines
            time.sleep(0.02)


def wait_ready(proc: subprocess.Popen[bytes], port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /ping HTTP/1.1\r\nHost: t\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            time.sleep(0.01)
    raise AssertionError("server did not answer /ping in time")


@pytest.fixture(scope="module")
def agent_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("agents")
    (d / "agents.py").write_text(textwrap.dedent(AGENTS))
    return d


@pytest.fixture(scope="module")
def serve(agent_dir: Path) -> Iterator[Any]:
    procs: list[subprocess.Popen[bytes]] = []

    @contextmanager
    def start(entry: str) -> Iterator[Served]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        log = agent_dir / f"{entry.replace(':', '_')}-{port}.log"
        env = dict(os.environ, PORT=str(port), NEXUS_HOST="127.0.0.1")
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "nexus.ai.agents.serve", entry],
                cwd=agent_dir,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        procs.append(proc)
        wait_ready(proc, port)
        try:
            yield Served(proc, port, log)
        finally:
            proc.terminate()
            proc.wait(10)

    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()


def sse_frames(data: bytes) -> list[Any]:
    frames = [f for f in data.decode().split("\n\n") if f]
    assert all(f.startswith("data: ") for f in frames), frames
    return [json.loads(f[len("data: ") :]) for f in frames]


def test_ping_answers_healthy_with_a_timestamp(serve: Any) -> None:
    with serve("agents:Echo") as s:
        status, headers, body = s.call("GET", "/ping")
    doc = json.loads(body)
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert doc["status"] == "Healthy"
    assert isinstance(doc["time_of_last_update"], int)
    assert abs(doc["time_of_last_update"] - time.time()) < 60


def test_invocation_fills_the_context_from_body_and_headers(serve: Any) -> None:
    with serve("agents:Echo") as s:
        status, headers, body = s.call(
            "POST",
            "/invocations",
            {"input": "Analyze this document", "context": {"user_id": 123, "tier": "gold"}},
            {"X-Nexus-Session-Id": "sess-1", "X-Nexus-Request-Id": "req-1", "X-Custom": "v"},
        )
        lines = s.log_lines(until='"latency_ms"')  # the request's own line
    assert status == 200
    doc = json.loads(body)
    assert doc["metadata"] == {"tokens_used": 0}
    assert doc["output"] == {
        "input": "Analyze this document",
        "user_id": "123",
        "session_id": "sess-1",
        "request_id": "req-1",
        "context": {"user_id": 123, "tier": "gold"},
        "custom": "v",
    }
    assert headers["x-nexus-request-id"] == "req-1"
    # user print() output reaches stdout as a record of its request, at info
    [printed] = [json.loads(x) for x in lines if '"processing req-1"' in x]
    assert printed["level"] == "info"
    assert printed["logger"] == "stdout"
    assert printed["request_id"] == "req-1"
    assert printed["session_id"] == "sess-1"
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert records[0]["msg"] == "agent ready"
    assert records[0]["level"] == "info"
    req = [r for r in records if r.get("request_id") == "req-1" and r["logger"] == "nexus.agents"]
    assert req
    assert req[0]["status"] == 200
    assert req[0]["latency_ms"] >= 0
    assert req[0]["msg"] == "POST /invocations 200"
    assert "ts" in req[0]


def test_agentcore_headers_and_plain_payload(serve: Any) -> None:
    with serve("agents:Echo") as s:
        _, _, body = s.call(
            "POST",
            "/invocations",
            {"prompt": "hi"},
            {
                "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": "ac-sess",
                "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id": "ac-req",
                "X-Nexus-User-Id": "u-9",
            },
        )
        _, _, generated = s.call("POST", "/invocations", "just text")
    out = json.loads(body)["output"]
    assert out["input"] == {"prompt": "hi"}
    assert out["context"] == {}
    assert (out["session_id"], out["request_id"], out["user_id"]) == ("ac-sess", "ac-req", "u-9")
    out2 = json.loads(generated)["output"]
    assert out2["input"] == "just text"
    assert out2["session_id"] is None
    assert len(out2["request_id"]) >= 16


def test_context_as_second_parameter_and_text_output(serve: Any) -> None:
    with serve("agents:WithContext") as s:
        _, _, body = s.call("POST", "/invocations", {"input": 1, "context": {"user_id": "a"}})
    assert json.loads(body)["output"] == {"same": True, "user": "a"}
    with serve("agents:Text") as s:
        _, _, body = s.call("POST", "/invocations", {"input": "x"})
    assert json.loads(body) == {"output": "plain text", "metadata": {"tokens_used": 0}}


def test_sync_process_runs_in_a_worker_thread_with_the_context(serve: Any) -> None:
    with serve("agents:Sync") as s:
        _, _, body = s.call("POST", "/invocations", {"input": "abc", "context": {"user_id": "7"}})
    out = json.loads(body)["output"]
    assert out["thread"] != "MainThread"
    assert out["user"] == "7"
    assert out["upper"] == "ABC"


def test_async_generator_streams_sse_frames(serve: Any) -> None:
    with serve("agents:Words") as s:
        c = s.conn()
        c.request("POST", "/invocations", json.dumps({"input": "hello big world"}))
        r = c.getresponse()
        assert r.status == 200
        assert r.getheader("Content-Type") == "text/event-stream"
        assert r.getheader("Transfer-Encoding") == "chunked"
        frames = sse_frames(r.read())
        # the connection stays usable after a chunked stream
        c.request("GET", "/ping")
        assert c.getresponse().status == 200
    assert frames == [{"text": "hello"}, {"text": "big"}, {"text": "world"}, {"done": True}]


def test_sync_generator_streams_json_chunks(serve: Any) -> None:
    with serve("agents:SyncGen") as s:
        status, headers, body = s.call("POST", "/invocations", {"input": ""})
    assert status == 200
    assert headers["content-type"] == "text/event-stream"
    assert sse_frames(body) == [{"text": "a"}, {"n": 1}, ["x", 2], {"done": True}]


def test_stream_failure_ends_with_an_error_frame(serve: Any) -> None:
    with serve("agents:BrokenStream") as s:
        _, _, body = s.call("POST", "/invocations", {"input": ""})
    frames = sse_frames(body)
    assert frames[0] == {"text": "first"}
    assert frames[-1] == {
        "error": {"code": "agent_error", "type": "RuntimeError", "message": "stream broke"}
    }


def test_agent_exception_is_a_500_with_type_and_a_logged_traceback(serve: Any) -> None:
    with serve("agents:Fails") as s:
        status, _, body = s.call(
            "POST", "/invocations", {"input": "zz"}, {"X-Nexus-Request-Id": "r-err"}
        )
        lines = s.log_lines(until='"latency_ms"')
        records = [json.loads(x) for x in lines if x.startswith("{")]
    assert status == 500
    assert json.loads(body) == {
        "error": {"code": "agent_error", "type": "ValueError", "message": "bad input: zz"}
    }
    err = next(r for r in records if r.get("request_id") == "r-err" and "status" in r)
    assert err["level"] == "error"
    assert err["status"] == 500
    assert "Traceback" in err["traceback"]
    assert "ValueError: bad input: zz" in err["traceback"]


def test_unserializable_output_is_an_agent_error(serve: Any) -> None:
    with serve("agents:Unserializable") as s:
        status, _, body = s.call("POST", "/invocations", {"input": 1})
    assert status == 500
    err = json.loads(body)["error"]
    assert err["type"] == "TypeError"
    assert "not JSON-serializable" in err["message"]


def test_protocol_errors(serve: Any) -> None:
    with serve("agents:Echo") as s:
        bad = s.call("POST", "/invocations", b"{not json")
        empty = s.call("POST", "/invocations", b"")
        bad_ctx = s.call("POST", "/invocations", {"input": 1, "context": [1]})
        missing = s.call("GET", "/nope")
        wrong_method = s.call("GET", "/invocations")
        status = s.call("GET", "/ping")[0]
    assert bad[0] == 400
    assert json.loads(bad[2])["error"]["code"] == "bad_request"
    assert "not valid JSON" in json.loads(bad[2])["error"]["message"]
    assert empty[0] == 400
    assert bad_ctx[0] == 400
    assert missing[0] == 404
    assert json.loads(missing[2])["error"]["code"] == "not_found"
    assert wrong_method[0] == 405
    assert status == 200  # the server survived all of it


def test_oversized_body_is_refused_with_413_before_reading_it(serve: Any) -> None:
    with serve("agents:Echo") as s, socket.create_connection(("127.0.0.1", s.port)) as sock:
        sock.sendall(b"POST /invocations HTTP/1.1\r\nHost: t\r\nContent-Length: 11000000\r\n\r\n")
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413")
    assert b"Connection: close" in reply
    assert b"payload_too_large" in reply


def test_keep_alive_serves_many_requests_on_one_connection(serve: Any) -> None:
    with serve("agents:Text") as s:
        c = s.conn()
        c.connect()
        sock = c.sock
        for i in range(50):
            c.request("POST", "/invocations", json.dumps({"input": i}))
            r = c.getresponse()
            assert r.status == 200
            assert json.loads(r.read())["output"] == "plain text"
        assert c.sock is sock  # never reconnected
        c.close()


def test_chunked_request_body_and_expect_continue(serve: Any) -> None:
    with serve("agents:Echo") as s, socket.create_connection(("127.0.0.1", s.port)) as sock:
        payload = json.dumps({"input": "chunked"}).encode()
        sock.sendall(
            b"POST /invocations HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
            b"Expect: 100-continue\r\n\r\n" + b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload)
        )
        data = b""
        while b'"tokens_used"' not in data:
            data += sock.recv(4096)
    assert data.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK")
    assert b'"input": "chunked"' in data
