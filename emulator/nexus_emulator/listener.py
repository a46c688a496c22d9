"""The emulator's HTTP connections: run calls served on the connection, the rest by uvicorn.

uvicorn turns each request into an ASGI cycle: a task, a scope with every field,
each response header checked by regular expressions, and the answer's head and
body written apart (two ``send`` system calls, two TCP segments). For the hot
call, ``POST /agents/NAME/run`` (and ``/v1/agents/NAME/run``), ``FastHttp``
parses the request with httptools itself, passes the same pipeline (``app.App``:
request id, auth, metrics, the data plane) a plain scope, and writes the answer
in one write; bench/README.md has what it saves.

Anything else on a connection hands the connection over to uvicorn's own
protocol, with the bytes read so far, at a request's start: another route or
method, a chunked or too large body, ``Expect: 100-continue``, an upgrade,
requests pipelined behind one another, a parse error. uvicorn serves that
connection from then on, as it hands an upgraded connection to its WebSocket
protocol. uvicorn gives the protocol class its config and server state
(``http=FastHttp``), so graceful shutdown and the keep-alive timeout hold alike.
"""

from __future__ import annotations

import asyncio
import http
from typing import Any, cast

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from nexus_emulator.api.fastpath import ROUTES, match

RUN = ROUTES["run"]  # /agents/{name}/run and /v1/agents/{name}/run
DEFAULT_MAX_BODY = 8 * 2**20
PENDING_LIMIT = 65536  # bytes read ahead while a call is served, before reading pauses
REASONS = {s.value: s.phrase.encode() for s in http.HTTPStatus}


class _HandOff(Exception):
    """Raised inside the parser: this request is uvicorn's."""


def fast_route(method: bytes, path: str) -> bool:
    """``POST`` on a run route (``/agents/NAME/run``, ``/v1/agents/NAME/run``), not
    percent-encoded (uvicorn decodes those)."""
    found = match(path) if method == b"POST" and "%" not in path else None
    return found is not None and found[0] in RUN


class FastHttp(asyncio.Protocol):
    """One client connection (uvicorn makes one per connection, as with its own)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not config.loaded:
            config.load()
        self.config, self.server_state, self.app_state = config, server_state, app_state
        self.loop = _loop or asyncio.get_event_loop()
        self.app = config.loaded_app
        emulator = getattr(self.app, "emulator", None)  # app.App (uvicorn may wrap others)
        self.max_body: int = emulator.config.max_body if emulator else DEFAULT_MAX_BODY
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.raw = bytearray()  # the bytes of the request being read, for a hand-off
        self.pending = bytearray()  # bytes that came while a call was served
        self.busy = self.complete = self.closing = self.paused = False
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.idle: asyncio.TimerHandle | None = None
        self.last = 0.0  # loop.time() when the connection last went idle
        self.gone: asyncio.Future[None] = self.loop.create_future()

    # ------------------------------------------------------------ the connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.server_state.connections.add(self)  # type: ignore[arg-type]
        self.client = self.transport.get_extra_info("peername")
        self.server = self.transport.get_extra_info("sockname")
        self.last = self.loop.time()
        self._arm_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        self.server_state.connections.discard(self)
        self._disarm_idle()
        if not self.gone.done():
            self.gone.set_result(None)

    def shutdown(self) -> None:
        """uvicorn's graceful shutdown: close now when idle, else after the answer."""
        assert self.transport is not None
        if self.busy:
            self.closing = True
        else:
            self.transport.close()

    def _arm_idle(self, after: float | None = None) -> None:
        """One timer per connection, not one per call: it looks at when the last answer
        went (``self.last``) and closes the connection once it has been idle long enough."""
        if self.idle is None:
            delay = self.config.timeout_keep_alive if after is None else after
            self.idle = self.loop.call_later(delay, self._idle_out)

    def _disarm_idle(self) -> None:
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None

    def _idle_out(self) -> None:
        self.idle = None
        if self.transport is None or self.transport.is_closing():
            return
        if self.busy or self.raw:  # a call or a request on its way: look again later
            self._arm_idle()
            return
        left = self.config.timeout_keep_alive - (self.loop.time() - self.last)
        if left > 0:
            self._arm_idle(left)
        else:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        if self.busy:
            self.pending += data
            if len(self.pending) > PENDING_LIMIT and not self.paused:
                self.paused = True
                self.transport.pause_reading()
            return
        self.raw += data
        try:
            self.parser.feed_data(data)
        except (httptools.HttpParserError, _HandOff):  # HttpParserUpgrade is one too
            self._hand_off()
            return
        if self.complete:
            self._serve()

    def _hand_off(self) -> None:
        """uvicorn's protocol takes the connection and everything read of this request."""
        assert self.transport is not None
        self._disarm_idle()
        self.server_state.connections.discard(self)
        uvicorn = HttpToolsProtocol(self.config, self.server_state, self.app_state, self.loop)
        uvicorn.connection_made(self.transport)
        self.transport.set_protocol(uvicorn)
        if self.paused:
            self.paused = False
            self.transport.resume_reading()
        data, self.raw = bytes(self.raw), bytearray()
        uvicorn.data_received(data)

    # ------------------------------------------------------------ httptools callbacks

    def on_message_begin(self) -> None:
        if self.complete:  # a second request in the same read: pipelined
            raise _HandOff
        self.url, self.headers, self.body = b"", [], []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        path = self.url.split(b"?", 1)[0].decode("latin-1")
        if not fast_route(self.parser.get_method(), path) or self.parser.should_upgrade():
            raise _HandOff
        length = None
        for name, value in self.headers:
            if name in (b"expect", b"transfer-encoding"):
                raise _HandOff
            if name == b"content-length":
                length = int(value) if value.isdigit() else None
        if length is None or length > self.max_body:
            raise _HandOff  # uvicorn and the data plane answer (413 before reading it)

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True

    # ------------------------------------------------------------ the call

    def _serve(self) -> None:
        self.busy = True
        path, _, query = self.url.partition(b"?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": self.parser.get_http_version(),
            "method": "POST",
            "scheme": "http",
            "path": path.decode("latin-1"),
            "raw_path": path,
            "query_string": query,
            "root_path": "",
            "headers": self.headers,
            "client": self.client,
            "server": self.server,
            "state": {},
        }
        body = b"".join(self.body)
        keep_alive = self.parser.should_keep_alive()
        self.raw, self.complete = bytearray(), False
        task = self.loop.create_task(self._call(scope, body, keep_alive))
        self.server_state.tasks.add(task)
        task.add_done_callback(self.server_state.tasks.discard)

    async def _call(self, scope: dict[str, Any], body: bytes, keep_alive: bool) -> None:
        status, headers, chunks = 500, [], []
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal body
            if body is not None:
                message = {"type": "http.request", "body": body, "more_body": False}
                body = None  # type: ignore[assignment]
                return message
            await self.gone
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, headers, sent
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                sent = True

        try:
            await self.app(scope, receive, send)
        except Exception:
            if not sent:  # the pipeline answers its own errors; this is a last resort
                status, headers, chunks = 500, [(b"content-type", b"application/json")], []
                chunks.append(b'{"error": {"code": "internal", "message": "internal error"}}')
            keep_alive = False
        self._answer(status, headers, b"".join(chunks), keep_alive and not self.closing)

    def _answer(
        self, status: int, headers: list[tuple[bytes, bytes]], body: bytes, keep_alive: bool
    ) -> None:
        assert self.transport is not None
        head = [b"HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, b""))]
        for name, value in self.server_state.default_headers:
            head.append(b"%s: %s\r\n" % (name, value))
        for name, value in headers:
            if name.lower() != b"content-length":
                head.append(b"%s: %s\r\n" % (name, value))
        head.append(b"content-length: %d\r\n" % len(body))
        if not keep_alive:
            head.append(b"connection: close\r\n")
        head.append(b"\r\n")
        self.busy = False
        if self.transport.is_closing():
            return
        self.transport.write(b"".join(head) + body)
        if not keep_alive:
            self.transport.close()
            return
        if self.paused:
            self.paused = False
            self.transport.resume_reading()
        self.last = self.loop.time()
        if self.pending:
            data, self.pending = bytes(self.pending), bytearray()
            self.data_received(data)
