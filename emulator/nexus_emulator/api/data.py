"""Data plane: run, stream and task submission, each a thin handler over the chain (chain.py).

``POST /agents/{name}/run`` answers the whole result; ``/stream`` answers
server-sent events: the replica's own frames as they come when its agent
streams, else its one answer as one frame, then ``data: {"done": true}`` (or
``data: {"error": {...}}``); ``/tasks`` queues the call and answers 202.
The handlers are plain ASGI: ``fastpath.py`` calls them before FastAPI's routing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.types import Receive, Send

from nexus_api.bodies import RunBody, TaskBody, openapi_body
from nexus_api.models import TaskSubmitted
from nexus_emulator import errors
from nexus_emulator.api.deps import ready
from nexus_emulator.chain import Call, header_value
from nexus_emulator.core import Emulator
from nexus_emulator.identity.tokens import caller_header
from nexus_emulator.pipeline import send_json

RUN_DOC = openapi_body(RunBody)
SUBMIT_DOC = openapi_body(TaskBody)


@dataclass(frozen=True)
class Incoming:
    """What a data-plane handler needs of the request."""

    name: str
    env: str | None
    body: bytes
    request_id: str
    traceparent: str | None
    session: str | None
    principal: Any  # who is calling, as the pipeline's Auth step found (None on open paths)
    idempotency_key: str | None = None  # the Idempotency-Key header of a task submission


Handler = Callable[[Emulator, Incoming, Receive, Send], Awaitable[None]]


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON object of a run: ``{"input": ..., "context": {...}, ...}``, or 400."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise errors.usage("the request body is not valid JSON") from None
    if not isinstance(payload, dict) or "input" not in payload:
        raise errors.usage('the body must be {"input": ..., "context": {...}}')
    return payload


def speaker(principal: Any, payload: dict[str, Any]) -> dict[str, str]:
    """Who speaks in a call (its memory's actor): a caller that is not an admin speaks as
    itself, so its subject is the default ``X-Nexus-User-Id`` and another ``user_id`` in
    the body's context is refused (403); an admin (the CLI's credential, or a token with
    the admin scope) and an agent's workload token may name any actor."""
    if principal is None or principal.kind != "caller" or principal.is_admin:
        return {}
    context = payload.get("context")
    named = context.get("user_id") if isinstance(context, dict) else None
    if named is not None and str(named) != principal.subject:
        raise errors.ApiError(
            403,
            errors.ErrorCode.FORBIDDEN,
            f"the caller {principal.subject!r} cannot speak as the actor {str(named)!r}",
            hint="leave user_id (--actor, actor_id=) out: the actor is the caller; "
            "an admin token may name any actor",
        )
    return {"X-Nexus-User-Id": header_value(principal.subject, "user_id")}


async def prepare(em: Emulator, req: Incoming, operation: str) -> Call:
    """Check the agent, the environment and the body; pick a healthy replica (waiting for
    one while they start)."""
    chain = ready(em).chain
    name, env = chain.resolve(req.name, req.env)
    payload = parse_body(req.body)
    actor = speaker(req.principal, payload)
    context = payload.get("context")
    session = req.session or (context.get("session_id") if isinstance(context, dict) else None)
    if session and chain.routing.isolated(name, env):
        picked = await em.sessions.pick(name, env, header_value(session, "session_id"))
    else:
        picked = await chain.pick_or_wait(name, env)
    return chain.start(
        operation,
        name,
        env,
        picked,
        req.body,
        context if isinstance(context, dict) else {},
        req.request_id,
        session=req.session,
        traceparent=req.traceparent,
        extra=None
        if req.principal is None
        else {"X-Nexus-Caller": caller_header(req.principal), **actor},
    )


async def run(em: Emulator, req: Incoming, _receive: Receive, send: Send) -> None:
    call = await prepare(em, req, "run")
    result = await em.chain.run(call)
    meta = em.chain.metadata(call, result)
    await send_json(send, 200, orjson.dumps({"output": result.output, "metadata": meta}))


async def stream(em: Emulator, req: Incoming, receive: Receive, send: Send) -> None:
    call = await prepare(em, req, "stream")  # a bad call is a JSON error, as for run
    label = em.routing.label(call.name, call.pool.revision)
    headers = [
        (b"content-type", b"text/event-stream; charset=utf-8"),
        (b"cache-control", b"no-cache"),
        (b"x-nexus-env", call.env.encode()),
        (b"x-nexus-revision", str(call.pool.revision).encode()),
        (b"x-nexus-version", (label or "").encode("latin-1", "replace")),
    ]
    try:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await _pump(em.chain.stream(call), receive, send)
    finally:  # a client gone before the relay began leaves no slot taken
        em.chain.abandon(call)


async def _pump(frames: AsyncIterator[bytes], receive: Receive, send: Send) -> None:
    """Send the frames until they end or the client goes away (then stop reading them)."""

    async def relay() -> None:
        async for chunk in frames:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    sending, watching = asyncio.ensure_future(relay()), asyncio.ensure_future(gone())
    try:
        await asyncio.wait((sending, watching), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sending, watching):
            task.cancel()
        await asyncio.gather(sending, watching, return_exceptions=True)
    failure = sending.exception() if sending.done() and not sending.cancelled() else None
    if failure is not None:
        raise failure


def check_webhook(url: object) -> None:
    """A webhook URL: http or https, a host, no credentials, at most 2048 characters."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url) if isinstance(url, str) and len(url) <= 2048 else None
        port = parts.port if parts else None  # ValueError when it is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise errors.usage(
            "webhook must be an http:// or https:// URL with a host",
            hint="e.g. https://example.com/hooks/nexus",
        )
    if parts.username or parts.password or (port is not None and not 0 < port < 65536):
        raise errors.usage("webhook must not carry credentials and needs a valid port")


async def submit(em: Emulator, req: Incoming, _receive: Receive, send: Send) -> None:
    chain = ready(em).chain
    name, env = chain.resolve(req.name, req.env)
    payload = parse_body(req.body)
    speaker(req.principal, payload)
    webhook = payload.get("webhook")
    if webhook is not None:
        check_webhook(webhook)
    timeout = payload.get("timeout")
    if timeout is not None and not (
        isinstance(timeout, int | float) and not isinstance(timeout, bool) and 1 <= timeout <= 28800
    ):
        raise errors.usage("timeout must be a number of seconds from 1 to 28800 (8 h)")
    assert em.tasks is not None
    caller = None if req.principal is None else caller_header(req.principal)
    key = req.idempotency_key
    if key is not None and not 1 <= len(key) <= 255:
        raise errors.usage("Idempotency-Key must have 1 to 255 characters")
    task_id, new = em.tasks.submit(name, env, req.body, webhook, caller, key)
    task = None if new else em.tasks.get(task_id)
    answer = TaskSubmitted(task_id=task_id, status=task["status"] if task else "pending")
    replayed = [] if new else [(b"idempotent-replayed", b"true")]
    await send_json(send, 202, orjson.dumps(answer.model_dump()), replayed)
