"""What both wire shapes share: who calls, the JSON body, server-sent events."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from nexus_emulator import json_shape
from nexus_emulator.gateway.errors import GatewayError
from nexus_emulator.gateway.service import Caller, Gateway, Model

ROLES = {"system", "developer", "user", "assistant", "tool"}


def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.emulator.gateway
    return gateway


def caller_of(request: Request) -> Caller:
    """The workload token's agent and environment; the invocation's request id."""
    principal = request.scope["state"]["principal"]
    if principal.agent is None:
        raise GatewayError(403, "forbidden", "the token names no agent")
    request_id = request.headers.get("x-nexus-request-id")
    parent = request.headers.get("traceparent", "").split("-")
    valid = len(parent) == 4 and len(parent[1]) == 32 and len(parent[2]) == 16
    trace_id, parent_id = (parent[1], parent[2]) if valid else (None, None)
    env = principal.env or "development"
    return Caller(principal.agent, env, request_id, principal.subject, trace_id, parent_id)


async def body_of(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise GatewayError(400, "bad_request", f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise GatewayError(400, "bad_request", "the body must be a JSON object")
    return body


@dataclass(frozen=True)
class Ask:
    """A model call as it arrives: the gateway, who calls, the JSON body, the model."""

    gateway: Gateway
    caller: Caller
    body: dict[str, Any]
    model: Model


async def ask(request: Request, kind: str, shape: json_shape.Schema) -> Ask:
    """The call's parts, checked (a ``GatewayError`` when one is wrong): the body against
    ``shape``, the schema the OpenAPI document publishes for it (request_shapes.py)."""
    gateway = gateway_of(request)
    caller = caller_of(request)
    body = await body_of(request)
    broken = json_shape.problem(shape, body)
    if broken is not None:
        where, message = broken
        raise GatewayError(400, "bad_request", message, where or None)
    return Ask(gateway, caller, body, gateway.model(body.get("model"), kind, caller.agent))


RESCUED = (429, 502, 504)  # an upstream's failures its fallback model answers instead


async def with_fallback(call: Ask, answer: Callable[[Model], Awaitable[Response]]) -> Response:
    """``answer`` from the call's model; when its upstream fails (unreachable, 5xx, timed
    out, rate limited) and the route names a fallback, from that model, once."""
    try:
        return await answer(call.model)
    except GatewayError as exc:
        route = call.model.route
        if route is None or route.fallback is None or exc.status not in RESCUED:
            raise
        kind = call.model.kind
        return await answer(call.gateway.model(route.fallback, kind, call.caller.agent))


def first_int(body: dict[str, Any], *names: str) -> int | None:
    """The first of ``names`` the body gives (its schema checked it is an integer: 50.0 is
    one in JSON Schema) as an int."""
    for name in names:
        value = body.get(name)
        if value is not None:
            return int(value)
    return None


def sse(events: Iterable[tuple[str | None, Any]]) -> Iterator[bytes]:
    """``(event name or None, data)`` pairs as text/event-stream frames."""
    for event, data in events:
        text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
        head = f"event: {event}\n" if event else ""
        yield f"{head}data: {text}\n\n".encode()
