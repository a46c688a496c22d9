"""``nexus.ai.Client`` against a small real HTTP server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from nexus.ai import Client
from nexus.ai.client import APIConnectionError, APIError

SSE_FRAMES = (
    b": a comment the client must skip\r\n\r\n"
    b'data: {"text": "Quantum "}\r\n\r\n'
    b'event: message\ndata: {"text": "physics"}\n\n'
    b'data: {"step": 2}\n\n'
    b"data: multi\ndata: line\n\n"
    b'data: {"done": true}\n\n'
    b'data: {"text": "after done"}\n\n'
)


class API(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    calls: list[dict[str, Any]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        path, _, query = self.path.partition("?")
        API.calls.append(
            {
                "path": path,
                "query": query,
                "body": body,
                "auth": self.headers.get("Authorization"),
                "accept": self.headers.get("Accept"),
                "peer": self.client_address[1],
            }
        )
        parts = path.strip("/").split("/")
        name = parts[-2]
        if path.endswith("/stream"):
            self._stream(name)
        elif name == "missing":
            self._send(
                404,
                json.dumps(
                    {
                        "error": {
                            "code": "not_found",
                            "message": "agent 'missing' is not deployed",
                            "hint": "nexus ai agent deploy missing",
                            "details": ["env development"],
                        }
                    }
                ).encode(),
            )
        elif name == "crash":
            self._send(502, b"upstream exploded", "text/plain")
        elif name == "invalid":
            self._send(422, json.dumps({"detail": [{"loc": ["body"], "msg": "bad"}]}).encode())
        else:
            self._send(
                200,
                json.dumps(
                    {"output": f"ran {name}", "metadata": {"tokens_used": 5, "echo": body}}
                ).encode(),
            )

    def _stream(self, name: str) -> None:
        if name == "gone":
            self._send(404, b'{"error": {"code": "not_found", "message": "no agent gone"}}')
            return
        if name == "plain":
            self._send(200, b'{"output": "all at once", "metadata": {}}')
            return
        frames = SSE_FRAMES
        if name == "failing":
            frames = (
                b'data: {"text": "partial"}\n\n'
                b'data: {"error": {"code": "agent_error", "message": "it broke"}}\n\n'
            )
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        if name == "closing":  # close-delimited body
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(frames)
            self.close_connection = True
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for piece in frames.split(b"\n\n"):  # a chunk boundary inside every frame
            for part in (piece[:5], piece[5:] + b"\n\n"):
                if part:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0\r\n\r\n")


@pytest.fixture
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), API)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    API.calls = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_run_posts_input_and_context_and_keeps_the_connection(api: str) -> None:
    with Client(api, token="tok-1") as client:
        first = client.agents.run("my-agent", "Analyze this document", context={"user_id": "123"})
        second = client.agents.run("my-agent", {"q": 1}, env="production")
    assert first["output"] == "ran my-agent"
    assert first["metadata"]["tokens_used"] == 5
    assert first["metadata"]["echo"] == {
        "input": "Analyze this document",
        "context": {"user_id": "123"},
    }
    a, b = API.calls
    assert a["path"] == "/agents/my-agent/run"
    assert a["query"] == ""
    assert b["query"] == "env=production"
    assert b["body"] == {"input": {"q": 1}, "context": {}}
    assert a["auth"] == "Bearer tok-1"
    assert a["peer"] == b["peer"]  # one kept-alive connection
    assert second["output"] == "ran my-agent"


def test_api_errors_keep_code_message_and_hint(api: str) -> None:
    client = Client(api, token="t")
    with pytest.raises(APIError) as info:
        client.agents.run("missing", "x")
    err = info.value
    assert (err.status, err.code) == (404, "not_found")
    assert err.message == "agent 'missing' is not deployed"
    assert err.hint == "nexus ai agent deploy missing"
    assert err.details == ["env development"]
    assert "hint: nexus ai agent deploy missing" in str(err)

    with pytest.raises(APIError) as crash:
        client.agents.run("crash", "x")
    assert (crash.value.status, crash.value.code) == (502, "failed")
    assert crash.value.message == "upstream exploded"

    with pytest.raises(APIError) as invalid:
        client.agents.run("invalid", "x")
    assert invalid.value.status == 422
    assert '"msg": "bad"' in invalid.value.message
    # the connection is still usable after errors
    assert client.agents.run("ok", "x")["output"] == "ran ok"
    client.close()


def test_unreachable_api_is_a_connection_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(APIConnectionError) as info:
        Client(f"http://127.0.0.1:{port}", token="t").agents.run("a", "x")
    assert info.value.code == "unavailable"
    assert f"127.0.0.1:{port}" in info.value.message
    assert info.value.hint


@pytest.mark.parametrize("name", ["chunked", "closing"])
def test_stream_parses_sse_frames(api: str, name: str) -> None:
    client = Client(api, token="t")
    chunks = list(client.agents.stream(name, "Explain quantum physics to me", env="staging"))
    assert [c.text for c in chunks] == ["Quantum ", "physics", "", "multi\nline"]
    assert chunks[1].event == "message"
    assert chunks[2].data == {"step": 2}
    call = API.calls[0]
    assert call["path"] == f"/v1/agents/{name}/stream"
    assert call["query"] == "env=staging"
    assert call["accept"] == "text/event-stream"
    assert call["body"] == {"input": "Explain quantum physics to me", "context": {}}


def test_stream_error_frame_and_error_status_raise(api: str) -> None:
    client = Client(api, token="t")
    stream = client.agents.stream("failing", "x")
    it = iter(stream)
    assert next(it).text == "partial"
    with pytest.raises(APIError) as info:
        next(it)
    assert (info.value.code, info.value.message) == ("agent_error", "it broke")
    with pytest.raises(APIError) as gone:
        client.agents.stream("gone", "x")
    assert (gone.value.status, gone.value.message) == (404, "no agent gone")


def test_stream_from_a_non_streaming_answer_yields_its_output(api: str) -> None:
    chunks = list(Client(api, token="t").agents.stream("plain", "x"))
    assert [c.text for c in chunks] == ["all at once"]


def test_defaults_from_environment_and_token_file(
    nexus_home: Path, monkeypatch: pytest.MonkeyPatch, api: str
) -> None:
    monkeypatch.delenv("NEXUS_URL", raising=False)
    monkeypatch.delenv("NEXUS_TOKEN", raising=False)
    monkeypatch.setenv("NEXUS_EMULATOR_PORT", "9999")
    assert Client().base_url == "http://127.0.0.1:9999"
    assert Client().token is None
    (nexus_home / "token").write_text("from-file\n")
    monkeypatch.setenv("NEXUS_URL", api)
    client = Client()
    assert client.base_url == api
    assert client.token == "from-file"
    client.agents.run("a", "x")
    assert API.calls[-1]["auth"] == "Bearer from-file"
    monkeypatch.setenv("NEXUS_TOKEN", "from-env")
    assert Client().token == "from-env"
    assert Client(token="arg").token == "arg"
    monkeypatch.delenv("NEXUS_EMULATOR_PORT")
    monkeypatch.delenv("NEXUS_URL")
    assert Client().base_url == "http://127.0.0.1:8470"
