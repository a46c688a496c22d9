"""The OpenAI-compatible API on the platform endpoint (``OPENAI_BASE_URL``).

``POST …/v1/chat/completions`` (``stream: true`` answers server-sent events, one
chunk per token, then ``[DONE]``; ``stream_options.include_usage`` adds a usage
chunk), ``POST …/v1/embeddings`` (the offline model's, or a routed embedding model's:
OpenAI-compatible or Bedrock), ``GET …/v1/models``. Errors in OpenAI's shape:
``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from nexus_emulator.gateway import request_shapes, tokens, wire
from nexus_emulator.gateway.errors import GatewayError
from nexus_emulator.gateway.offline import Completion
from nexus_emulator.gateway.service import Model

PREFIX = "/v1/platform/gateway/v1"
router = APIRouter(prefix=PREFIX, tags=["gateway"])
TYPES = {
    "bad_request": ("invalid_request_error", None),
    "context": ("invalid_request_error", "context_length_exceeded"),
    "not_found": ("invalid_request_error", "model_not_found"),
    "forbidden": ("permission_error", "forbidden"),
    "rate_limited": ("rate_limit_error", "rate_limit_exceeded"),
    "quota_exceeded": ("insufficient_quota", "quota_exceeded"),
    "busy": ("rate_limit_error", "concurrency_limit"),
    "upstream": ("api_error", "upstream_error"),
}


def error(exc: GatewayError) -> JSONResponse:
    kind, code = TYPES.get(exc.kind, ("api_error", exc.kind))
    body = {"error": {"message": exc.message, "type": kind, "param": exc.param, "code": code}}
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


@router.get("/models", summary="The models a replica may call")
async def models(request: Request) -> Response:
    try:
        caller = wire.caller_of(request)
    except GatewayError as exc:
        return error(exc)
    data = [
        {"id": m.id, "object": "model", "created": 0, "owned_by": f"nexus-{m.provider}"}
        for m in wire.gateway_of(request).models(caller.agent)
    ]
    return JSONResponse({"object": "list", "data": data})


@router.post("/chat/completions", summary="A chat completion (OpenAI's shape)")
async def chat_completions(request: Request) -> Response:
    try:
        call = await wire.ask(request, "chat", request_shapes.CHAT)
        limit = wire.first_int(call.body, "max_completion_tokens", "max_tokens")
        return await wire.with_fallback(call, functools.partial(_answer, call, limit=limit))
    except GatewayError as exc:
        return error(exc)


async def _answer(call: wire.Ask, model: Model, limit: int | None) -> Response:
    """The offline model's answer or the upstream's (in OpenAI's shape whatever it is)."""
    if model.route is None:
        return _offline(call, model, limit)
    if call.body.get("stream") is True:
        chunks, headers = await call.gateway.relay_stream(call.caller, model, call.body)
        return StreamingResponse(chunks, media_type="text/event-stream", headers=headers)
    answer, headers = await call.gateway.relay(call.caller, model, call.body)
    return JSONResponse(answer, headers=headers)


def _offline(call: wire.Ask, model: Model, limit: int | None) -> Response:
    body, caller = call.body, call.caller
    messages, tools = body["messages"], body.get("tools")
    done, headers = call.gateway.complete(caller, model, messages, tools, limit)
    ident = f"chatcmpl-{caller.request_id or int(time.time() * 1e6)}"
    if body.get("stream") is True:
        usage = (body.get("stream_options") or {}).get("include_usage") is True
        chunks = _chunks(ident, model.id, done, usage)
        return StreamingResponse(wire.sse(chunks), media_type="text/event-stream", headers=headers)
    message: dict[str, Any] = {"role": "assistant", "content": done.text or None}
    if done.tool_calls:
        message["tool_calls"] = _tool_calls(done)
    return JSONResponse(
        {
            "id": ident,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model.id,
            "choices": [{"index": 0, "message": message, "finish_reason": done.finish_reason}],
            "usage": _usage(done),
        },
        headers=headers,
    )


@router.post("/embeddings", summary="Embeddings (OpenAI's shape)")
async def embeddings(request: Request) -> Response:
    try:
        call = await wire.ask(request, "embedding", request_shapes.EMBEDDINGS)
        given = call.body["input"]
        texts: list[str] = [given] if isinstance(given, str) else given
        dims = wire.first_int(call.body, "dimensions")
        return await wire.with_fallback(call, functools.partial(_vectors, call, texts, dims))
    except GatewayError as exc:
        return error(exc)


async def _vectors(call: wire.Ask, texts: list[str], dims: int | None, model: Model) -> Response:
    """The offline model's vectors (256 dimensions unless asked), or the upstream's."""
    if model.route is None:
        vectors, headers = call.gateway.embed(call.caller, model, texts, dims or 256)
        used = sum(tokens.count(t) for t in texts)
    else:
        vectors, used, headers = await call.gateway.relay_embed(call.caller, model, texts, dims)
    data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
    return JSONResponse(
        {
            "object": "list",
            "data": data,
            "model": model.id,
            "usage": {"prompt_tokens": used, "total_tokens": used},
        },
        headers=headers,
    )


def _usage(done: Completion) -> dict[str, int]:
    return {
        "prompt_tokens": done.prompt_tokens,
        "completion_tokens": done.completion_tokens,
        "total_tokens": done.total_tokens,
    }


def _tool_calls(done: Completion) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
        for c in done.tool_calls
    ]


def _chunks(
    ident: str, model: str, done: Completion, usage: bool
) -> Iterator[tuple[str | None, Any]]:
    head = {"id": ident, "object": "chat.completion.chunk", "created": int(time.time())}
    head["model"] = model

    def chunk(delta: dict[str, Any], finish: str | None = None) -> tuple[None, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return None, {**head, "choices": [choice]}

    yield chunk({"role": "assistant", "content": ""})
    if done.tool_calls:
        calls = [{"index": i, **c} for i, c in enumerate(_tool_calls(done))]
        yield chunk({"tool_calls": calls})
    for piece in tokens.pieces(done.text):
        yield chunk({"content": piece})
    yield chunk({}, done.finish_reason)
    if usage:
        yield None, {**head, "choices": [], "usage": _usage(done)}
    yield None, "[DONE]"
