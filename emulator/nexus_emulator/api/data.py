"""Data plane: ``POST /agents/{name}/run`` relayed to a healthy replica."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from fastapi import APIRouter, Request, Response

from nexus.ai import spec
from nexus_api.bodies import RunBody, openapi_body
from nexus_emulator import errors
from nexus_emulator.api.deps import emulator_of, known_agent, ready
from nexus_emulator.core import Emulator
from nexus_emulator.identity.tokens import caller_header
from nexus_emulator.pools import LiveReplica, Pool
from nexus_emulator.relay import Upstream, collect_stream
from nexus_emulator.tracing import Span

router = APIRouter(tags=["data"])

RUN_DOC = openapi_body(RunBody)


def choose_env(em: Emulator, name: str, env: str | None) -> str:
    """The explicit env; else the only one deployed; else development."""
    deployed = [d.env for d in em.store.deployments(name)]
    if env is not None:
        try:
            spec.check_env(env)
        except spec.SpecError as exc:
            raise errors.from_spec(exc) from None
        if env not in deployed:
            raise errors.not_found(
                f"{name} is not deployed to {env}",
                hint=f"deployed to: {', '.join(deployed) or 'nothing'}; "
                f"nexus ai agent deploy {name} --env {env}",
            )
        return env
    if len(deployed) == 1:
        return deployed[0]
    if spec.DEFAULT_ENV in deployed:
        return spec.DEFAULT_ENV
    raise errors.usage(
        f"{name} is deployed to several environments: {', '.join(deployed)}",
        hint="pick one with --env (or ?env= on the API)",
    )


def pick(em: Emulator, name: str, env: str) -> tuple[Pool, Any]:
    pool = em.pools.get(name, env)
    replica = pool.pick() if pool else None
    if pool is None or replica is None:
        raise errors.unavailable(
            f"{name} has no healthy replica in {env} right now",
            hint=f"nexus ai agent status {name}  # shows the replicas and their health",
        )
    return pool, replica


async def relay(
    em: Emulator,
    pool: Pool,
    replica: LiveReplica,
    name: str,
    env: str,
    body: bytes,
    headers: dict[str, str],
) -> tuple[LiveReplica, Upstream]:
    """Send the call to ``replica``; when it refuses the connection (the request never
    reached the agent), mark it unhealthy and try the next healthy one."""
    while True:
        current = replica
        current.in_flight += 1
        try:
            return current, await em.relay.invoke(current.handle.endpoint, body, headers)
        except aiohttp.ClientConnectorError:
            current.state = "unhealthy"  # the health monitor replaces it if it is gone
            other = pool.pick()
            if other is None:
                em.metrics.record(name, env, "error")
                raise errors.unavailable(
                    f"{name} has no replica in {env} that accepts connections",
                    hint=f"nexus ai agent status {name}  # replicas are being replaced",
                ) from None
            replica = other
        except (aiohttp.ClientError, TimeoutError) as exc:
            em.metrics.record(name, env, "error")
            raise errors.failed(
                f"replica {current.handle.id[:12]} did not answer: {exc}",
                hint=f"nexus ai agent status {name}",
                status=502,
            ) from None
        finally:
            current.in_flight -= 1


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON object of a run: ``{"input": ..., "context": {...}, ...}``, or 400."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise errors.usage("the request body is not valid JSON") from None
    if not isinstance(payload, dict) or "input" not in payload:
        raise errors.usage('the body must be {"input": ..., "context": {...}}')
    return payload


@dataclass
class Call:
    """A checked data-plane call: where it goes and what it carries."""

    em: Emulator
    name: str
    env: str
    body: bytes
    pool: Pool
    replica: LiveReplica
    request_id: str
    headers: dict[str, str]
    span: Span
    invoke: Span  # the call to the replica, child of ``span``

    def end(
        self,
        status: str,
        replica: LiveReplica | None = None,
        http_status: int | None = None,
        error: str | None = None,
    ) -> None:
        """Finish the call's spans (once)."""
        if self.span.end:
            return
        tracer = self.em.tracer
        replica_id = (replica or self.replica).handle.id[:12]
        tracer.finish(self.invoke, status, replica=replica_id, http_status=http_status)
        tracer.finish(
            self.span, status, revision=self.pool.revision, request_id=self.request_id, error=error
        )


async def prepare(request: Request, name: str, env: str | None, operation: str = "run") -> Call:
    """Check the agent, the environment and the body; pick a healthy replica."""
    em = ready(emulator_of(request))
    known_agent(em, name)
    env = choose_env(em, name, env)
    body = await request.body()
    payload = parse_body(body)
    pool, replica = pick(em, name, env)
    request_id = request.scope["state"]["request_id"]
    raw_context = payload.get("context")
    context: dict[str, Any] = raw_context if isinstance(raw_context, dict) else {}
    session = str(
        context.get("session_id") or request.headers.get("x-nexus-session-id") or request_id
    )
    headers = {
        "X-Nexus-Request-Id": request_id,
        "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id": request_id,
        "X-Nexus-Session-Id": session,
        "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": session,
    }
    if context.get("user_id") is not None:
        headers["X-Nexus-User-Id"] = str(context["user_id"])
    principal = request.scope["state"].get("principal")
    if principal is not None:
        headers["X-Nexus-Caller"] = caller_header(principal)
    span = em.tracer.root(f"{operation} {name}", name, env, request.headers.get("traceparent"))
    invoke = span.child("POST /invocations")
    headers["traceparent"] = invoke.traceparent()
    return Call(em, name, env, body, pool, replica, request_id, headers, span, invoke)


def agent_failed(call: Call, replica: LiveReplica, answer: Any, status: int) -> errors.ApiError:
    """The error for an agent that answered with an error status."""
    call.em.metrics.record(call.name, call.env, "error")
    err = answer.get("error", {}) if isinstance(answer, dict) else {}
    return errors.failed(
        f"the agent failed: {err.get('type', 'error')}: {err.get('message', status)}",
        hint=f"nexus ai agent logs {call.name} --level error  # shows the traceback",
    )


@router.post("/agents/{name}/run", summary="Run an agent synchronously", openapi_extra=RUN_DOC)
@router.post("/v1/agents/{name}/run", include_in_schema=False)
async def run(name: str, request: Request, env: str | None = None) -> Response:
    call = await prepare(request, name, env)
    try:
        return await _run(call)
    except errors.ApiError as exc:
        call.end("error", error=exc.message)
        raise


async def _run(call: Call) -> Response:
    em, env, name = call.em, call.env, call.name
    t0 = time.perf_counter()
    replica, up = await relay(em, call.pool, call.replica, name, env, call.body, call.headers)
    elapsed = time.perf_counter() - t0
    version = em.store.version(name, call.pool.revision)
    if "text/event-stream" in up.content_type:
        answer = collect_stream(up.body)
    else:
        try:
            answer = orjson.loads(up.body)
        except orjson.JSONDecodeError:
            answer = {"output": up.body.decode("utf-8", "replace")}
    stream_failed = "text/event-stream" in up.content_type and "error" in answer
    if up.status >= 400 or stream_failed:
        failure = agent_failed(call, replica, answer, up.status)
        call.end("error", replica, up.status, failure.message)
        raise failure
    if isinstance(answer, dict) and "output" in answer:
        output, meta = answer["output"], answer.get("metadata") or {}
    else:  # an image that answers with its own JSON (bring your own image)
        output, meta = answer, {}
    tokens = meta.get("tokens_used") if isinstance(meta, dict) else 0
    em.metrics.record(name, env, "ok", elapsed, tokens if isinstance(tokens, int) else 0)
    call.end("ok", replica, up.status)
    meta = {
        "tokens_used": 0,
        **meta,
        "version": version.label if version else None,
        "revision": call.pool.revision,
        "env": env,
        "replica": replica.handle.id[:12],
        "request_id": call.request_id,
        "latency_ms": round(elapsed * 1000, 3),
    }
    return Response(
        orjson.dumps({"output": output, "metadata": meta}), media_type="application/json"
    )
