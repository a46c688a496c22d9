"""The data plane's upstream client: keep-alive HTTP/1.1 to the replicas on asyncio protocols.

Requests are written by hand (one ``POST /invocations``) and answers parsed by
httptools, the parser uvicorn serves with, as the bytes arrive in the
connection's protocol (no stream reader in between). Measured on the relay
against aiohttp's client, this spends about 40 µs less CPU per call
(bench/README.md), which is most of what a call costs the emulator under
concurrency.

One connection and its answer are upstream_conn.py's. Idle connections are
kept per endpoint (newest first) and dropped after ``IDLE_SECONDS`` or when
the replica closed them. Errors tell the chain what it may do next:
  ``Refused``        the request never reached the replica: try another one.
  ``Stranger``       (a ``Refused``) another replica answers at the address, refusing
                     the call for want of its secret: the replica is gone.
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
from urllib.parse import urlsplit

from nexus_emulator.upstream_conn import Answer, Conn, Refused, Reset, Stranger, UpstreamError

__all__ = ["Answer", "Refused", "Reset", "Stranger", "Upstream", "UpstreamError"]

IDLE_SECONDS = 15.0
IDLE_PER_ENDPOINT = 64
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 900.0  # the longest a replica may stay silent during a call
SWEEP_SECONDS = 1.0  # how often silent calls are looked for (cheaper than a timer per read)


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
        self._idle: dict[str, list[Conn]] = {}
        self._busy: set[Conn] = set()
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

    async def _connect(self, host: str, port: int) -> Conn:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                _, conn = await loop.create_connection(Conn, host, port)
        except (OSError, TimeoutError) as exc:
            raise Refused(str(exc) or type(exc).__name__) from None
        return conn

    def _reuse(self, endpoint: str) -> Conn | None:
        idle = self._idle.get(endpoint)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if now - conn.used < IDLE_SECONDS and not conn.eof:
                return conn
            conn.close()
        return None

    def _put_back(self, endpoint: str, conn: Conn) -> None:
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
        conn = await self._open(endpoint, body, headers, accept)
        try:
            yield Answer(conn.parser.get_status_code(), conn.content_type, conn)
        finally:
            self._done(endpoint, conn)

    async def fetch(
        self, endpoint: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, str, bytes]:
        """``post`` read whole at once: (status, content type, body), with no context
        manager around it (the run path's)."""
        conn = await self._open(endpoint, body, headers, "application/json")
        answer = Answer(conn.parser.get_status_code(), conn.content_type, conn)
        try:
            data = await answer.read()
        finally:
            self._done(endpoint, conn)
        return answer.status, answer.content_type, data

    def _done(self, endpoint: str, conn: Conn) -> None:
        """A call's connection back to the idle ones when its answer was read to the end,
        else closed (the caller stopped reading, or the answer broke)."""
        self._busy.discard(conn)
        if conn.complete:
            self._put_back(endpoint, conn)
        else:
            conn.close()

    async def _open(
        self, endpoint: str, body: bytes, headers: Mapping[str, str], accept: str
    ) -> Conn:
        """A connection with the request sent and the answer's head read."""
        host, port, netloc = self._target(endpoint)
        lines = [f"{k}: {v}\r\n" for k, v in headers.items()]
        lines += [f"{k}: {v}\r\n" for k, v in self.credentials.get(endpoint, {}).items()]
        request = b"".join(
            (
                b"POST /invocations HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                b"Accept: %s\r\nContent-Length: %d\r\n" % (netloc, accept.encode(), len(body)),
                "".join(lines).encode("latin-1"),
                b"\r\n",
                body,
            )
        )
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
                # a stale keep-alive connection: once more on a new one
            else:
                return self._ours(conn)
        conn = await self._connect(host, port)
        try:
            await self._send(conn, request)
        except (EOFError, ConnectionError) as exc:
            conn.close()
            message = str(exc) or "the replica closed the connection"
            raise (UpstreamError if conn.received else Reset)(message) from None
        return self._ours(conn)

    def _ours(self, conn: Conn) -> Conn:
        """``conn`` unless another replica answered on it (``Stranger``)."""
        if conn.stranger:
            self._busy.discard(conn)
            conn.close()
            raise Stranger("another replica answers at this address (the replica is gone)")
        return conn

    async def _send(self, conn: Conn, request: bytes) -> None:
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
