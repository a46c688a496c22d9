"""One keep-alive connection to a replica (an asyncio protocol), its answer, and the errors
that tell the invocation chain what it may do next (see upstream.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast

import httptools

READ_SIZE = 65536  # bytes of body buffered before reading pauses (a slow stream's reader)


class Refused(Exception):
    """The replica did not take the connection: the call never reached it."""


class Stranger(Refused):
    """Another process answers at the replica's address (a dead container's address,
    reused by another container) and refused the call for want of its secret: the call
    never ran, so it may go to the next replica."""


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
    _conn: Conn

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


class Conn(asyncio.Protocol):
    """One keep-alive connection and the state of the answer being parsed on it: bytes are
    parsed as they arrive (no stream buffer in between), ``receive`` waits for the next."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.used = 0.0  # time.monotonic() when it was last put back
        self.parser = httptools.HttpResponseParser(self)
        self.body: list[bytes] = []
        self.content_type = ""
        self.framed = False  # Content-Length or chunked: the answer says where it ends
        self.stranger = False  # the answer says it came from another replica than meant
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
        self.stranger = False

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
        elif key == b"x-nexus-refused":
            self.stranger = True

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
