"""The data plane's upstream client: keep-alive HTTP/1.1 to the replicas on asyncio protocols.

Requests are written by hand (one ``POST /invocations``) and answers parsed by
httptools, the parser uvicorn serves with, as the bytes arrive in the
connection's protocol (no stream reader in between). Measured on the relay
against aiohttp's client, this spends about 40 µs less CPU per call
(bench/README.md), which is most of what a call costs the emulator under
concurrency.

Idle connections are kept per endpoint (newest first) and dropped after
``IDLE_SECONDS`` or when the replica closed them. Errors tell the chain what
it may do next:
  ``Refused``        the request never reached the replica: try another one.
  ``Reset``          a new connection closed before any answer: the replica is gone
                     or going, but it may have started on the call.
  ``UpstreamError``  it broke mid-answer: answer 502 (or end the stream), never resend.
A reused connection that dies before the first byte of an answer is the usual
stale keep-alive race: the call is sent once more on a new connection.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httptools

IDLE_SECONDS = 15.0
IDLE_PER_ENDPOINT = 64
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 900.0  # the longest a replica may stay silent during a call
SWEEP_SECONDS = 1.0  # how often silent calls are looked for (cheaper than a timer per read)
READ_SIZE = 65536


class Refused(Exception):
    """The replica did not take the connection: the call never reached it."""


class UpstreamError(Exception):
    """The replica stopped answering once the call was sent."""


class Reset(UpstreamError):
    """A new connection was closed before the first byte of an answer: the replica died,
    or is dying (a killed process's kernel still completes the handshake for a moment)."""


@dataclass
class Answer:
    """A replica's answer, open while its body is read."""

    status: int
    content_type: str
    _conn: _Conn

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives (chunked transfer decoded); ``UpstreamError`` if it breaks."""
        conn = self._conn
        while True:
            while conn.body:
                yield conn.take()
            if conn.complete:
                return
            try:
                await conn.receive()
            except EOFError:
                if conn.framed:
                    raise UpstreamError("the replica closed the connection mid-answer") from None
                conn.complete = True  # an answer without length ends when the connection does
            except TimeoutError:
                raise UpstreamError("the replica stopped sending before the end") from None
            except OSError as exc:
                raise UpstreamError(str(exc) or type(exc).__name__) from None

    async def read(self) -> bytes:
        conn = self._conn
        if conn.complete:  # the usual answer: whole in the first read, no stream to walk
            body, conn.body, conn.buffered = b"".join(conn.body), [], 0
            return body
        return b"".join([c async for c in self.chunks()])


class _Conn(asyncio.Protocol):
    """One keep-alive connection and the state of the answer being parsed on it: bytes are
    parsed as they arrive (no stream buffer in between), ``receive`` waits for the next."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.used = 0.0  # time.monotonic() when it was last put back
        self.parser = httptools.HttpResponseParser(self)
        self.body: list[bytes] = []
        self.content_type = ""
        self.framed = False  # Content-Length or chunked: the answer says where it ends
        self.keep_alive = self.head_done = self.complete = self.received = False
        self.waiting_since = 0.0  # time.monotonic() when the current wait began; 0: none
        self.timed_out = False
        self.eof = False  # the replica closed its side, or the connection is gone
        self.lost: Exception | None = None  # why it is gone, when it broke
        self.bad: UpstreamError | None = None  # the answer could not be parsed
        self.buffered = 0  # bytes of body parsed and not yet taken
        self.paused = False
        self._seen = 0  # reads so far: ``receive`` returns once there is a new one
        self._waiter: asyncio.Future[None] | None = None

    def reset(self) -> None:
        """Ready for the next answer (the parser goes on by itself on a kept-alive connection)."""
        self.body, self.content_type, self.buffered = [], "", 0
        self.framed = self.keep_alive = self.head_done = self.complete = self.received = False

    # asyncio protocol callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.received = True
        self._seen += 1
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.bad = UpstreamError(f"the replica sent a malformed answer: {exc}")
        if self.buffered > READ_SIZE and not self.paused and self.transport is not None:
            self.paused = True  # a stream read slower than it comes: the replica waits
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool | None:
        self.eof = True
        self._wake()
        return None  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof, self.lost = True, exc
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.lower()
        if key == b"content-type":
            self.content_type = value.decode("latin-1")
        elif key in (b"content-length", b"transfer-encoding"):
            self.framed = True

    def on_headers_complete(self) -> None:
        self.head_done = True
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)
        self.buffered += len(body)

    def on_message_complete(self) -> None:
        self.complete = True

    def take(self) -> bytes:
        """The oldest chunk of body parsed; reading goes on once little is left."""
        chunk = self.body.pop(0)
        self.buffered -= len(chunk)
        if self.paused and self.buffered <= READ_SIZE // 2 and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        return chunk

    async def receive(self) -> None:
        """Wait until the replica sent more (parsed on arrival); ``EOFError`` when it closed,
        the connection's error when it broke, ``TimeoutError`` when ``Upstream``'s sweep
        found it silent for too long."""
        seen = self._seen
        if not self.eof and self.bad is None:
            self._waiter = asyncio.get_running_loop().create_future()
            self.waiting_since = time.monotonic()
            try:
                await self._waiter
            finally:
                self._waiter = None
                self.waiting_since = 0.0
        if self.timed_out:
            raise TimeoutError
        if self.bad is not None:
            raise self.bad
        if self._seen == seen:  # nothing new: it closed, or broke
            if self.lost is not None:
                raise self.lost
            raise EOFError

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Upstream:
    """Keep-alive connections to every replica endpoint (``http://host:port``)."""

    def __init__(
        self,
        credentials: Mapping[str, Mapping[str, str]] | None = None,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        # endpoint -> headers every call to it carries (the replica secret, relay.py)
        self.credentials = credentials if credentials is not None else {}
        self.read_timeout = read_timeout
        self._idle: dict[str, list[_Conn]] = {}
        self._busy: set[_Conn] = set()
        self._targets: dict[str, tuple[str, int, bytes]] = {}
        self._sweeper: asyncio.Task[None] | None = None

    async def _sweep(self) -> None:
        """Abort the connections whose replica has been silent for ``read_timeout``."""
        while True:
            await asyncio.sleep(min(SWEEP_SECONDS, self.read_timeout / 4))
            limit = time.monotonic() - self.read_timeout
            for conn in list(self._busy):
                if 0 < conn.waiting_since < limit and conn.transport is not None:
                    conn.timed_out = True
                    conn.transport.abort()

    def _target(self, endpoint: str) -> tuple[str, int, bytes]:
        target = self._targets.get(endpoint)
        if target is None:
            url = urlsplit(endpoint)
            host, port = url.hostname or "127.0.0.1", url.port or 80
            target = self._targets[endpoint] = (host, port, url.netloc.encode("latin-1"))
        return target

    async def _connect(self, host: str, port: int) -> _Conn:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                _, conn = await loop.create_connection(_Conn, host, port)
        except (OSError, TimeoutError) as exc:
            raise Refused(str(exc) or type(exc).__name__) from None
        return conn

    def _reuse(self, endpoint: str) -> _Conn | None:
        idle = self._idle.get(endpoint)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if now - conn.used < IDLE_SECONDS and not conn.eof:
                return conn
            conn.close()
        return None

    def _put_back(self, endpoint: str, conn: _Conn) -> None:
        idle = self._idle.setdefault(endpoint, [])
        if conn.complete and conn.keep_alive and len(idle) < IDLE_PER_ENDPOINT:
            conn.reset()
            conn.used = time.monotonic()
            idle.append(conn)
        else:
            conn.close()

    @asynccontextmanager
    async def post(
        self,
        endpoint: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        accept: str = "application/json",
    ) -> AsyncIterator[Answer]:
        """``POST <endpoint>/invocations``; the answer's head is read, its body is not yet."""
        host, port, netloc = self._target(endpoint)
        head = [
            b"POST /invocations HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
            b"Accept: %s\r\nContent-Length: %d\r\n" % (netloc, accept.encode(), len(body))
        ]
        head += [b"%s: %s\r\n" % (k.encode(), v.encode("latin-1")) for k, v in headers.items()]
        for k, v in self.credentials.get(endpoint, {}).items():
            head.append(b"%s: %s\r\n" % (k.encode(), v.encode("latin-1")))
        request = b"".join(head) + b"\r\n" + body
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        conn = self._reuse(endpoint)
        if conn is not None:
            try:
                await self._send(conn, request)
            except (EOFError, ConnectionError):
                conn.close()
                if conn.received:
                    raise UpstreamError("the replica closed the connection mid-answer") from None
                conn = None  # a stale keep-alive connection: once more on a new one
        if conn is None:
            conn = await self._connect(host, port)
            try:
                await self._send(conn, request)
            except (EOFError, ConnectionError) as exc:
                conn.close()
                message = str(exc) or "the replica closed the connection"
                raise (UpstreamError if conn.received else Reset)(message) from None
        answer = Answer(conn.parser.get_status_code(), conn.content_type, conn)
        try:
            yield answer
        except BaseException:
            conn.close()
            raise
        finally:
            self._busy.discard(conn)
        if conn.complete:
            self._put_back(endpoint, conn)
        else:
            conn.close()  # the caller stopped reading: this connection is mid-answer

    async def _send(self, conn: _Conn, request: bytes) -> None:
        """Write the request and read until the answer's head is parsed."""
        self._busy.add(conn)
        assert conn.transport is not None  # made connected
        conn.transport.write(request)
        try:
            while not conn.head_done:
                await conn.receive()
        except BaseException as exc:
            self._busy.discard(conn)
            if isinstance(exc, EOFError | ConnectionError):
                raise  # the caller knows whether to try again
            conn.close()
            if isinstance(exc, TimeoutError):
                raise UpstreamError(
                    f"no answer from the replica in {self.read_timeout:g} s"
                ) from None
            if isinstance(exc, OSError):
                raise UpstreamError(str(exc) or type(exc).__name__) from None
            raise

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
