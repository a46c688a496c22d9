"""The data plane's upstream client against real loopback servers that misbehave on purpose."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import pytest
from nexus_emulator.upstream import Refused, Reset, Upstream, UpstreamError

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    return head + await reader.readexactly(length)


async def serve(handler: Handler) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


async def call(up: Upstream, endpoint: str) -> tuple[int, bytes]:
    async with up.post(endpoint, b'{"input": 1}', {"X-Nexus-Request-Id": "r1"}) as answer:
        return answer.status, await answer.read()


def test_keep_alive_connection_is_reused_and_headers_sent() -> None:
    async def main() -> None:
        connections, requests = 0, []

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            while True:
                try:
                    requests.append(await read_request(reader))
                except asyncio.IncompleteReadError:
                    return
                writer.write(OK)

        server, endpoint = await serve(handler)
        up = Upstream()
        for _ in range(3):
            assert await call(up, endpoint) == (200, b"{}")
        assert connections == 1
        assert requests[0].startswith(b"POST /invocations HTTP/1.1\r\n")
        assert b"X-Nexus-Request-Id: r1\r\n" in requests[0]
        assert requests[0].endswith(b'\r\n\r\n{"input": 1}')
        await up.close()
        server.close()

    asyncio.run(main())


def test_a_stale_keep_alive_connection_is_retried_on_a_new_one() -> None:
    async def main() -> None:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_request(reader)
            writer.write(OK)  # keep-alive by HTTP/1.1, then closes as an idle server does
            await writer.drain()
            writer.close()

        server, endpoint = await serve(handler)
        up = Upstream()
        assert await call(up, endpoint) == (200, b"{}")
        await asyncio.sleep(0)  # the close may or may not have been seen yet: both must work
        assert await call(up, endpoint) == (200, b"{}")
        await up.close()
        server.close()

    asyncio.run(main())


def test_refused_reset_and_broken_answers_are_told_apart() -> None:
    async def main() -> None:
        with socket.socket() as sock:  # a port nobody listens on
            sock.bind(("127.0.0.1", 0))
            closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
        up = Upstream()
        with pytest.raises(Refused):
            await call(up, closed)

        async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_request(reader)
            writer.close()  # took the call, answered nothing

        server, endpoint = await serve(hang_up)
        with pytest.raises(Reset):
            await call(up, endpoint)
        server.close()

        async def half(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}")
            await writer.drain()
            writer.close()

        server, endpoint = await serve(half)
        with pytest.raises(UpstreamError) as broken:
            await call(up, endpoint)
        assert not isinstance(broken.value, Reset)  # it answered: never sent again
        server.close()
        await up.close()

    asyncio.run(main())


def test_a_silent_replica_times_out() -> None:
    async def main() -> None:
        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_request(reader)
            await asyncio.sleep(30)

        server, endpoint = await serve(silent)
        up = Upstream(read_timeout=0.3)
        with pytest.raises(UpstreamError, match=r"no answer from the replica in 0.3 s"):
            await asyncio.wait_for(call(up, endpoint), timeout=5)
        await up.close()
        server.close()

    asyncio.run(main())


def test_a_chunked_event_stream_arrives_as_it_is_sent() -> None:
    async def main() -> None:
        proceed = asyncio.Event()

        async def stream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_request(reader)
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            writer.write(b"b\r\ndata: one\n\n\r\n")
            await writer.drain()
            await proceed.wait()
            writer.write(b"b\r\ndata: two\n\n\r\n0\r\n\r\n")
            await writer.drain()

        server, endpoint = await serve(stream)
        up = Upstream()
        async with up.post(endpoint, b"{}", {}, accept="text/event-stream") as answer:
            assert answer.content_type == "text/event-stream"
            chunks = answer.chunks()
            assert await anext(chunks) == b"data: one\n\n"  # before the rest was sent
            proceed.set()
            assert [c async for c in chunks] == [b"data: two\n\n"]
        await up.close()
        server.close()

    asyncio.run(main())


def test_a_replica_refusing_for_want_of_its_secret_is_a_stranger() -> None:
    """A dead container's address reused by another replica: that replica's SDK server
    refuses the platform's secret of the dead one, and the chain must try the next."""
    from nexus_emulator.upstream import Stranger

    from nexus.ai.agents._handler import Handler
    from nexus.ai.agents._server import AgentServer

    async def main() -> None:
        server = AgentServer(Handler(lambda text: {"echo": text}, "echo"), replica_secret="theirs")
        listening = await server.start("127.0.0.1", 0)
        endpoint = f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}"
        ours = {"x-nexus-replica-secret": "ours"}
        up = Upstream(credentials={endpoint: ours})
        for _ in range(2):  # on a new connection, then on one kept alive by the other end
            with pytest.raises(Stranger):
                await call(up, endpoint)
        assert issubclass(Stranger, Refused)  # the chain fails over as for a refused one
        right = Upstream(credentials={endpoint: {"x-nexus-replica-secret": "theirs"}})
        status, _, body = await right.fetch(endpoint, b'{"input": "hi"}', {})
        assert status == 200, body
        await up.close()
        await right.close()
        listening.close()

    asyncio.run(main())
