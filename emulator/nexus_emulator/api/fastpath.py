"""The data plane's routes, answered before FastAPI's routing (the pipeline's last step).

``DataPlane`` matches ``POST /agents/{name}/run|stream|tasks`` (and the ``/v1``
aliases) by splitting the path, then calls the handler of api/data.py: no walk
of the route table, no dependency injection or validation layer on the hot path
(bench/README.md has the figures). Every other request goes on to FastAPI.

api/data_routes.py declares the same routes to FastAPI, with the same handlers, so the
OpenAPI document describes them and FastAPI's router alone serves them alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from nexus_emulator import errors
from nexus_emulator.api import data
from nexus_emulator.core import Emulator
from nexus_emulator.pipeline import send_json


@dataclass(frozen=True)
class DataRoute:
    path: str  # as declared to FastAPI: the Metrics step counts requests by it
    handler: data.Handler


ROUTES = {
    verb: (DataRoute(f"/agents/{{name}}/{verb}", h), DataRoute(f"/v1/agents/{{name}}/{verb}", h))
    for verb, h in (("run", data.run), ("stream", data.stream), ("tasks", data.submit))
}


def match(path: str) -> tuple[DataRoute, str] | None:
    """The data route of a POST path and the agent name in it."""
    parts = path.split("/")
    if len(parts) == 4 and parts[1] == "agents":
        versioned = 0
    elif len(parts) == 5 and parts[1] == "v1" and parts[2] == "agents":
        versioned = 1
    else:
        return None
    routes, name = ROUTES.get(parts[-1]), parts[-2]
    return (routes[versioned], name) if routes is not None and name else None


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The request body; 413 once it is known to be over ``limit`` bytes (before reading it
    when ``Content-Length`` says so)."""
    for key, value in scope["headers"]:
        if key == b"content-length" and value.isdigit() and int(value) > limit:
            raise errors.too_large(int(value), limit)
    message = await receive()
    body = message.get("body", b"")
    while message.get("more_body"):
        message = await receive()
        body += message.get("body", b"")
        if len(body) > limit:
            raise errors.too_large(len(body), limit)
    if len(body) > limit:
        raise errors.too_large(len(body), limit)
    return bytes(body)


def incoming(scope: Scope, name: str, body: bytes) -> data.Incoming:
    env = None
    if scope["query_string"]:
        env = parse_qs(scope["query_string"].decode("latin-1")).get("env", [None])[-1]
    traceparent = session = idempotency_key = None
    for key, value in scope["headers"]:
        if key == b"traceparent":
            traceparent = value.decode("latin-1")
        elif key == b"x-nexus-session-id":
            session = value.decode("latin-1")
        elif key == b"idempotency-key":
            idempotency_key = value.decode("latin-1")
    state = scope["state"]
    return data.Incoming(
        name,
        env,
        body,
        state["request_id"],
        traceparent,
        session,
        state.get("principal"),
        idempotency_key,
    )


async def serve(
    em: Emulator, route: DataRoute, name: str, scope: Scope, receive: Receive, send: Send
) -> None:
    req = incoming(scope, name, await read_body(scope, receive, em.config.max_body))
    await route.handler(em, req, receive, send)


class DataPlane:
    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = (
            match(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        )
        if found is None:
            await self.app(scope, receive, send)
            return
        route, name = found
        scope["route"] = route
        try:
            await serve(self.emulator, route, name, scope, receive, send)
        except errors.ApiError as exc:
            await send_json(send, exc.status, orjson.dumps(exc.body()), exc.headers())
        except Exception as exc:  # the same answer as app.py's handler of the unexpected
            await send_json(send, 500, orjson.dumps(errors.internal(exc).body()))
