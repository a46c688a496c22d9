"""Where replicas reach the platform API (``NEXUS_PLATFORM_URL`` in their platform file).

- process replicas: the emulator's own listener on loopback;
- containers on a Linux engine: a second listener on the address of the engine's
  default bridge (``docker0``, e.g. 172.17.0.1): the only host address a container
  on that bridge can open, whether it is named by IP or as ``host-gateway``
  (which the engine maps to the same address). It serves ``/v1/platform/…`` and
  the issuer's ``/.well-known/…`` only (404 for the rest), and the workload
  token decides the rest. It is never bound to 0.0.0.0, and the main API stays
  on 127.0.0.1;
- Docker Desktop: ``host.docker.internal`` reaches the host's loopback, so the
  main listener serves (no second one).
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from nexus.settings import Settings
from nexus_api.errors import ErrorCode, error_body
from nexus_emulator.config import EmulatorConfig
from nexus_emulator.runtime.base import Runtime

log = logging.getLogger("nexus_emulator.platform")
PLATFORM_PATHS = ("/v1/platform/", "/.well-known/")


@dataclass
class PlatformEndpoint:
    url: str
    sock: socket.socket | None = None  # a listener of its own (else the main one serves)


async def open_endpoint(runtime: Runtime, config: EmulatorConfig) -> PlatformEndpoint | None:
    where = await runtime.platform_address()
    if where is None:
        return PlatformEndpoint(config.issuer)  # replicas share the host's loopback
    listen, host = where
    if not listen:
        return PlatformEndpoint(f"http://{host}:{config.port}")
    port = Settings.load().platform_port
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((listen, port))
    except OSError as exc:
        sock.close()
        log.warning("replicas cannot reach the platform API: cannot listen on %s: %s", listen, exc)
        return None
    sock.listen(128)
    sock.setblocking(False)
    bound = sock.getsockname()[1]
    log.info("platform API for replicas on %s:%d", listen, bound)
    return PlatformEndpoint(f"http://{host}:{bound}", sock)


class PlatformOnly:
    """The app as replicas see it on their listener: the platform paths and nothing else."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(PLATFORM_PATHS):
            await self.app(scope, receive, send)
            return
        body = orjson.dumps(
            error_body(ErrorCode.NOT_FOUND, "replicas reach /v1/platform/ here, nothing else")
        )
        await send(
            {
                "type": "http.response.start",
                "status": 404,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})
