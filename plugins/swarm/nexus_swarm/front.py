"""The front of an agent environment: a TCP proxy to its replicas (runs in the swarm).

Stdlib only: the provider stores this file as a swarm config and the front
service runs it with the image's python3. Each new connection goes to the
next replica address that ``NEXUS_FRONT_BACKEND`` resolves to (the agent
service in dnsrr mode: one DNS record per healthy replica); a replica that
refuses is skipped. Bytes are relayed both ways, so JSON calls, keep-alive
and server-sent events pass unchanged. A connection whose first request is
for ``/tasks…`` is answered by the front itself: the environment's async
tasks (fronttasks.py, stored beside this file as another swarm config, with
frontstore.py, fronthooks.py and standard_webhooks.py), kept in SQLite in
``NEXUS_FRONT_STATE`` (a Docker volume) and posted to their webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import socket
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nexus_swarm.fronttasks import Tasks
else:  # the front runs this file alone, with fronttasks.py beside it
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from fronttasks import Tasks

BACKEND = os.environ.get("NEXUS_FRONT_BACKEND", "")
BACKEND_PORT = int(os.environ.get("NEXUS_FRONT_BACKEND_PORT", "8080"))
PORT = int(os.environ.get("PORT", "8080"))
CONNECT_TIMEOUT = 2.0
MAX_HEAD = 65536
NO_REPLICA = b'{"error": {"code": "unavailable", "message": "no replica of the agent answers"}}'
_turn = itertools.count()
_tasks: Tasks | None = None


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


def answer(status: int, body: bytes) -> bytes:
    reason = {200: "OK", 202: "Accepted", 404: "Not Found", 422: "Unprocessable Entity"}
    return (
        f"HTTP/1.1 {status} {reason.get(status, 'Error')}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


async def tasks_call(
    head: bytes, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter
) -> None:
    method, target = head.split(b" ", 2)[:2]
    length = 0
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"content-length":
            length = int(value.strip() or 0)
    body = await client_r.readexactly(length) if length else b""
    assert _tasks is not None
    status, data = await _tasks.serve(method.decode(), target.decode("latin-1"), body)
    client_w.write(answer(status, json.dumps(data).encode()))
    with contextlib.suppress(ConnectionError, OSError):
        await client_w.drain()
    client_w.close()


async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
    try:
        head = await client_r.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, OSError):
        client_w.close()
        return
    if head.split(b" ", 2)[1:2] and head.split(b" ", 2)[1].startswith(b"/tasks"):
        await tasks_call(head, client_r, client_w)
        return
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
            backend_w.write(head)  # the request head read above, then the rest as it comes
            await asyncio.gather(relay(client_r, backend_w), relay(backend_r, client_w))
        finally:
            backend_w.close()
            client_w.close()
        return
    refusal = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(NO_REPLICA)}\r\nConnection: close\r\n\r\n"
    )
    client_w.write(refusal.encode() + NO_REPLICA)
    with contextlib.suppress(ConnectionError, OSError):
        await client_w.drain()
    client_w.close()


async def main() -> None:
    global _tasks
    _tasks = Tasks(replicas, BACKEND_PORT, os.environ.get("NEXUS_FRONT_STATE") or None)
    worker = asyncio.gather(_tasks.work(), _tasks.hooks.run())
    server = await asyncio.start_server(handle, "0.0.0.0", PORT, limit=MAX_HEAD)
    print(f"front: {BACKEND}:{BACKEND_PORT} on port {PORT}", flush=True)
    async with server:
        await server.serve_forever()
    worker.cancel()


if __name__ == "__main__":
    asyncio.run(main())
