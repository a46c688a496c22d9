"""The request pipeline, declared once (``app.py``): every request passes these handlers in order.

1. ``RequestContext`` gives each request an id (``X-Nexus-Request-Id``) and times it.
2. ``Auth`` asks ``check`` (``identity.guard.Guard.check``) who the request comes
   from and whether it may go on, except on the open paths (health, OpenAPI, the
   issuer's discovery and keys); the principal is kept in ``scope["state"]``.
3. ``Metrics`` counts requests by route and status for ``/metrics``.
4. ``DataPlane`` (api/fastpath.py) answers run, stream and task submission itself;
   everything else goes on to FastAPI's routing. Errors become the one JSON error
   shape (``send_error`` here, the exception handlers in ``app.py``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nexus_api.errors import ErrorCode, error_body
from nexus_emulator.identity.guard import Refused
from nexus_emulator.tracing import random_hex

OPEN_PATHS = frozenset(
    {
        "/v1/health/live",
        "/v1/health/ready",
        "/openapi.json",
        "/docs",
        "/redoc",
        "/metrics",
        "/.well-known/openid-configuration",
        "/.well-known/jwks.json",
    }
)


async def send_json(
    send: Send, status: int, body: bytes, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_error(
    send: Send,
    status: int,
    code: ErrorCode,
    message: str,
    hint: str | None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    await send_json(send, status, orjson.dumps(error_body(code, message, hint)), headers or [])


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        for key, value in scope["headers"]:
            if key == b"x-nexus-request-id":
                request_id = value.decode("latin-1")[:128]
                break
        request_id = request_id or random_hex(128)
        scope.setdefault("state", {})["request_id"] = request_id
        scope["state"]["started"] = time.perf_counter()
        header = (b"x-nexus-request-id", request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        await self.app(scope, receive, send_with_id)


class Auth:
    def __init__(self, app: ASGIApp, check: Callable[[str, str, bytes], object]) -> None:
        self.app = app
        self.check = check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        given = api_key = b""
        for key, value in scope["headers"]:
            if key == b"authorization":
                given = value
                break
            if key == b"x-api-key":
                api_key = value
        if not given and api_key:  # Anthropic's clients send their key so (the gateway)
            given = b"Bearer " + api_key
        try:
            principal = self.check(scope["method"], scope["path"], given)
        except Refused as no:
            await send_error(send, no.status, no.code, no.message, no.hint, no.headers())
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


class Metrics:
    counts: Counter[tuple[str, str, int]]

    def __init__(self, app: ASGIApp, counts: Counter[tuple[str, str, int]]) -> None:
        self.app = app
        self.counts = counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route: Any = scope.get("route")
            path = getattr(route, "path", "unmatched")
            self.counts[(scope["method"], path, status)] += 1
