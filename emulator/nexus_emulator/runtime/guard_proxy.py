"""The replica secret's check for images not built on the SDK, run in a replica's holder.

A prebuilt image (``deploy --image``) serves the runtime contract on port 8080
without checking ``X-Nexus-Replica-Secret``. Its replica therefore runs in the
network namespace of a holder container (see _egress.py) where inbound TCP to
8080 from outside is redirected to this proxy on 8081. The proxy reads the first
request of each connection; without the replica's secret it answers 401 and
closes, with it the connection is spliced to the agent on 127.0.0.1:8080 for
the rest of its life (keep-alive requests on the emulator's own connection
need no second look: nobody else can write to it).

Standard library only: it runs with the base image's ``python3 -c`` and reads
the secret from the replica's platform file (never an argument or a variable).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import sys

LISTEN_PORT = 8081
AGENT_PORT = 8080
HEADER = b"x-nexus-replica-secret"
MAX_HEAD = 65536
REFUSED = (
    b'{"error": {"code": "unauthorized", "message": "only the platform may call this replica"}}'
)


def secret_of(head: bytes) -> bytes:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == HEADER:
            return value.strip()
    return b""


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def handler(secret: bytes) -> object:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        if not hmac.compare_digest(secret_of(head), secret):
            writer.write(
                b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                b"X-Nexus-Refused: replica-secret\r\n"
                b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(REFUSED), REFUSED)
            )
            await writer.drain()
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", AGENT_PORT)
        except OSError:
            writer.close()
            return
        up_writer.write(head)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    return serve


async def main(platform_file: str) -> None:
    with open(platform_file, encoding="utf-8") as fh:
        secret = str(json.load(fh)["replica_secret"]).encode()
    server = await asyncio.start_server(
        handler(secret),  # type: ignore[arg-type]
        "0.0.0.0",
        LISTEN_PORT,
        limit=MAX_HEAD,
    )
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
