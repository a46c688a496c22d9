"""The front of an agent environment: a TCP proxy to its replicas (runs in the swarm).

Stdlib only: the provider stores this file as a swarm config and the front
service runs it with the image's python3. Each new connection goes to the
next replica address that ``NEXUS_FRONT_BACKEND`` resolves to (the agent
service in dnsrr mode: one DNS record per healthy replica); a replica that
refuses is skipped. Bytes are relayed both ways, so JSON calls, keep-alive
and server-sent events pass unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket

BACKEND = os.environ.get("NEXUS_FRONT_BACKEND", "")
BACKEND_PORT = int(os.environ.get("NEXUS_FRONT_BACKEND_PORT", "8080"))
PORT = int(os.environ.get("PORT", "8080"))
CONNECT_TIMEOUT = 2.0
NO_REPLICA = b'{"error": {"code": "unavailable", "message": "no replica of the agent answers"}}'
_turn = itertools.count()


async def replicas() -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(BACKEND, BACKEND_PORT, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return sorted({str(info[4][0]) for info in infos})


async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()  # half-close: the answer may still be coming
    except (ConnectionError, OSError):
        writer.close()


async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
    addresses = await replicas()
    start = next(_turn)
    for i in range(len(addresses)):
        address = addresses[(start + i) % len(addresses)]
        try:
            conn = asyncio.open_connection(address, BACKEND_PORT)
            backend_r, backend_w = await asyncio.wait_for(conn, CONNECT_TIMEOUT)
        except (TimeoutError, OSError):
            continue
        try:
            await asyncio.gather(relay(client_r, backend_w), relay(backend_r, client_w))
        finally:
            backend_w.close()
            client_w.close()
        return
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(NO_REPLICA)}\r\nConnection: close\r\n\r\n"
    )
    client_w.write(head.encode() + NO_REPLICA)
    with contextlib.suppress(ConnectionError, OSError):
        await client_w.drain()
    client_w.close()


async def main() -> None:
    server = await asyncio.start_server(handle, "0.0.0.0", PORT)
    print(f"front: {BACKEND}:{BACKEND_PORT} on port {PORT}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
