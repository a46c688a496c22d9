"""Data plane, streaming: ``POST /agents/{name}/stream`` answers server-sent events.

A replica whose agent streams (``process`` is a generator) answers
``text/event-stream``: its frames are passed through as they come. An agent
that returns one value is answered as one frame, so every caller of this
endpoint reads the same shape: ``data: {"text": ...}`` frames (or the JSON
chunk itself), then ``data: {"done": true}``, or ``data: {"error": {...}}``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from nexus_emulator import errors
from nexus_emulator.api.data import RUN_DOC, Call, agent_failed, prepare

router = APIRouter(tags=["data"])
DONE = b'data: {"done": true}\n\n'


def frame(data: Any) -> bytes:
    return b"data: " + orjson.dumps(data) + b"\n\n"


async def frames(call: Call) -> AsyncIterator[bytes]:
    em, replica = call.em, call.replica
    replica.in_flight += 1
    t0 = time.perf_counter()
    outcome = "error"
    try:
        async with em.relay.open_stream(replica.handle.endpoint, call.body, call.headers) as up:
            if "text/event-stream" in up.headers.get("Content-Type", ""):
                async for chunk in up.content.iter_any():
                    yield chunk
                outcome = "ok"
                return
            raw = await up.read()
            try:
                answer = orjson.loads(raw)
            except orjson.JSONDecodeError:
                answer = {"output": raw.decode("utf-8", "replace")}
            if up.status >= 400:
                err = agent_failed(call, replica, answer, up.status)
                outcome = "counted"
                yield frame(err.body())
                return
            output = answer.get("output") if isinstance(answer, dict) else answer
            yield frame({"text": output} if isinstance(output, str) else output)
            yield DONE
            outcome = "ok"
    except (aiohttp.ClientError, TimeoutError) as exc:
        yield frame(errors.failed(f"the replica stopped answering: {exc}").body())
    finally:
        replica.in_flight -= 1
        if outcome != "counted":
            em.metrics.record(call.name, call.env, outcome, time.perf_counter() - t0)
        call.end("ok" if outcome == "ok" else "error")


@router.post(
    "/agents/{name}/stream",
    summary="Run an agent and receive its answer as server-sent events",
    openapi_extra=RUN_DOC,
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
@router.post("/v1/agents/{name}/stream", include_in_schema=False)
async def stream(name: str, request: Request, env: str | None = None) -> StreamingResponse:
    call = await prepare(request, name, env, "stream")  # a bad call is a JSON error, as for run
    version = call.em.store.version(name, call.pool.revision)
    headers = {
        "Cache-Control": "no-cache",
        "X-Nexus-Env": call.env,
        "X-Nexus-Revision": str(call.pool.revision),
        "X-Nexus-Version": version.label if version else "",
    }
    return StreamingResponse(frames(call), media_type="text/event-stream", headers=headers)
