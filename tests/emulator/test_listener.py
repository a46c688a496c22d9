"""The emulator's own connection handling (listener.py), byte for byte on raw sockets.

Run calls are answered on the connection itself; anything else hands the
connection to uvicorn, which must then answer it exactly as before: another
route after a run on the same keep-alive connection, pipelined requests, a
chunked body, ``Expect: 100-continue``, a malformed request.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from tests.emulator.conftest import Emu, running_emulator, write_agent


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    tmp = tmp_path_factory.mktemp("listener")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    with running_emulator(tmp, port, "process") as e:
        events = e.deploy("echo", write_agent(tmp / "echo"))
        assert events[-1]["event"] == "result", events
        yield e


def token(emu: Emu) -> str:
    return (emu.home / "token").read_text().strip()


def request(emu: Emu, method: str, path: str, body: bytes = b"", extra: str = "") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token(emu)}\r\n"
    if body or method == "POST":
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + extra + "\r\n").encode() + body


def run_body(text: str) -> bytes:
    return json.dumps({"input": text, "context": {"user_id": "u"}}).encode()


class Conn:
    """A raw keep-alive connection that reads whole answers (Content-Length or chunked)."""

    def __init__(self, emu: Emu) -> None:
        self.sock = socket.create_connection(("127.0.0.1", emu.port), timeout=30)
        self.buf = b""

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("the emulator closed the connection")
        self.buf += data

    def answer(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, v in (h.split(":", 1) for h in lines[1:])}
        if status == 100:
            return status, headers, b""
        if "content-length" in headers:
            size = int(headers["content-length"])
            while len(self.buf) < size:
                self._fill()
            body, self.buf = self.buf[:size], self.buf[size:]
            return status, headers, body
        body = b""
        while True:  # chunked
            while b"\r\n" not in self.buf:
                self._fill()
            line, self.buf = self.buf.split(b"\r\n", 1)
            size = int(line, 16)
            while len(self.buf) < size + 2:
                self._fill()
            body, self.buf = body + self.buf[:size], self.buf[size + 2 :]
            if size == 0:
                return status, headers, body

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def conn(emu: Emu) -> Iterator[Conn]:
    c = Conn(emu)
    yield c
    c.close()


def echo_of(body: bytes) -> object:
    return json.loads(body)["output"]["echo"]


def test_runs_then_other_routes_on_one_connection(emu: Emu, conn: Conn) -> None:
    for text in ("one", "two"):
        conn.sock.sendall(request(emu, "POST", "/agents/echo/run", run_body(text)))
        status, headers, body = conn.answer()
        assert status == 200, body
        assert echo_of(body) == text
        assert headers["content-type"] == "application/json"
        assert headers["x-nexus-request-id"]
    conn.sock.sendall(request(emu, "GET", "/v1/agents/echo"))  # uvicorn's from here on
    status, _, body = conn.answer()
    assert status == 200, body
    assert json.loads(body)["name"] == "echo"
    conn.sock.sendall(request(emu, "POST", "/v1/agents/echo/run", run_body("three")))
    status, _, body = conn.answer()
    assert status == 200, body
    assert echo_of(body) == "three"


def test_errors_keep_their_shape_and_the_connection(emu: Emu, conn: Conn) -> None:
    conn.sock.sendall(request(emu, "POST", "/agents/nobody/run", run_body("x")))
    status, _, body = conn.answer()
    assert status == 404
    assert json.loads(body)["error"]["code"] == "not_found"
    conn.sock.sendall(request(emu, "POST", "/agents/echo/run", b"{not json"))
    status, _, body = conn.answer()
    assert status == 400
    assert json.loads(body)["error"]["code"] == "usage"
    no_auth = b"POST /agents/echo/run HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
    conn.sock.sendall(no_auth)
    status, _, body = conn.answer()
    assert status == 401
    assert json.loads(body)["error"]["code"] == "unauthorized"
    conn.sock.sendall(request(emu, "POST", "/agents/echo/run", run_body("still here")))
    status, _, body = conn.answer()
    assert status == 200
    assert echo_of(body) == "still here"


def test_pipelined_requests_are_answered_in_order(emu: Emu, conn: Conn) -> None:
    burst = b"".join(request(emu, "POST", "/agents/echo/run", run_body(t)) for t in ("a", "b", "c"))
    conn.sock.sendall(burst)
    assert [echo_of(conn.answer()[2]) for _ in range(3)] == ["a", "b", "c"]


def test_a_chunked_body_is_served(emu: Emu, conn: Conn) -> None:
    body = run_body("chunks")
    chunked = (
        f"POST /agents/echo/run HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token(emu)}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    chunked += b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    conn.sock.sendall(chunked)
    status, _, answer = conn.answer()
    assert status == 200, answer
    assert echo_of(answer) == "chunks"


def test_expect_continue_is_served(emu: Emu, conn: Conn) -> None:
    body = run_body("continued")
    head = request(emu, "POST", "/agents/echo/run", extra="Expect: 100-continue\r\n")
    head = head.replace(b"Content-Length: 0", b"Content-Length: %d" % len(body))
    conn.sock.sendall(head)
    status, _, _ = conn.answer()
    assert status == 100
    conn.sock.sendall(body)
    status, _, answer = conn.answer()
    assert status == 200, answer
    assert echo_of(answer) == "continued"


def test_a_malformed_request_gets_400(emu: Emu, conn: Conn) -> None:
    conn.sock.sendall(b"POST /agents/echo/run HTTP/1.1\r\nContent-Length: nope\r\n\r\n")
    status, _, _ = conn.answer()
    assert status == 400


def test_a_request_sent_byte_by_byte_is_answered(emu: Emu, conn: Conn) -> None:
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i, byte in enumerate(request(emu, "POST", "/agents/echo/run", run_body("slow"))):
        conn.sock.sendall(bytes([byte]))
        if i % 40 == 0:
            time.sleep(0.001)
    status, _, body = conn.answer()
    assert status == 200, body
    assert echo_of(body) == "slow"


def test_a_too_large_body_is_refused_before_it_is_read(emu: Emu, conn: Conn) -> None:
    head = request(emu, "POST", "/agents/echo/run", extra="")
    head = head.replace(b"Content-Length: 0", b"Content-Length: %d" % (64 * 2**20))
    conn.sock.sendall(head)
    status, _, body = conn.answer()
    assert status == 413, body


KEEP_ALIVE = 5.0  # seconds: uvicorn's timeout_keep_alive, which the emulator keeps


def test_a_busy_connection_stays_and_an_idle_one_is_closed(emu: Emu, conn: Conn) -> None:
    # calls a second apart for longer than the keep-alive: idle time counts from the last
    # answer, not from when the connection was opened
    started = time.monotonic()
    while time.monotonic() - started < KEEP_ALIVE + 2:
        conn.sock.sendall(request(emu, "POST", "/agents/echo/run", run_body("again")))
        status, _, body = conn.answer()
        assert status == 200
        assert echo_of(body) == "again"
        time.sleep(1)
    # then left alone, it is closed (the socket's own timeout is 30 s)
    assert conn.sock.recv(65536) == b""
