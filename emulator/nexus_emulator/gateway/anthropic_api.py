"""Anthropic's Messages API on the platform endpoint (``ANTHROPIC_BASE_URL``).

``POST …/v1/messages`` (``stream: true`` answers Anthropic's event stream:
``message_start``, a ``content_block_*`` run per block, ``message_delta``,
``message_stop``). ``max_tokens`` is required, as Anthropic requires it. A model
routed to Anthropic gets the call as it came, and its answer goes back as it is; a
model routed elsewhere (OpenAI-compatible, Bedrock) gets it translated to OpenAI's
shape and its answer, streamed too, back in Anthropic's (``messages_shape.py``). Errors
in Anthropic's shape: ``{"type": "error", "error": {"type", "message"}}``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from nexus_emulator.gateway import messages_shape, request_shapes, tokens, wire
from nexus_emulator.gateway.errors import GatewayError
from nexus_emulator.gateway.offline import Completion
from nexus_emulator.gateway.service import Model

PREFIX = "/v1/platform/gateway/v1"
router = APIRouter(prefix=PREFIX, tags=["gateway"])
TYPES = {
    "bad_request": "invalid_request_error",
    "context": "invalid_request_error",
    "not_found": "not_found_error",
    "forbidden": "permission_error",
    "rate_limited": "rate_limit_error",
    "busy": "rate_limit_error",
    "quota_exceeded": "permission_error",
    "upstream": "api_error",
}
STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def error(exc: GatewayError) -> JSONResponse:
    body = {
        "type": "error",
        "error": {"type": TYPES.get(exc.kind, "api_error"), "message": exc.message},
    }
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


@router.post("/messages", summary="A message (Anthropic's Messages shape)")
async def messages(request: Request) -> Response:
    try:
        call = await wire.ask(request, "chat", request_shapes.MESSAGES)
        limit = int(call.body["max_tokens"])
        tools = call.body.get("tools")
        answer = functools.partial(_answer, call, limit=limit, tools=tools)
        return await wire.with_fallback(call, answer)
    except GatewayError as exc:
        return error(exc)


async def _answer(
    call: wire.Ask, model: Model, limit: int, tools: list[dict[str, Any]] | None
) -> Response:
    """The offline model's answer, an Anthropic upstream's as it sent it, or another
    upstream's (OpenAI-compatible, Bedrock) translated to and from OpenAI's shape."""
    if model.route is None:
        return _offline(call, model, limit, tools)
    if model.route.provider != "anthropic":
        return await _translated(call, model)
    if call.body.get("stream") is True:
        events, headers = await call.gateway.relay_stream(
            call.caller, model, call.body, "anthropic"
        )
        return StreamingResponse(events, media_type="text/event-stream", headers=headers)
    answer, headers = await call.gateway.relay(call.caller, model, call.body, "anthropic")
    return JSONResponse(answer, headers=headers)


async def _translated(call: wire.Ask, model: Model) -> Response:
    body = messages_shape.openai_request(call.body)
    if body.get("stream") is True:
        chunks, headers = await call.gateway.relay_stream(call.caller, model, body)
        events = messages_shape.events(chunks, model.id)
        return StreamingResponse(events, media_type="text/event-stream", headers=headers)
    answer, headers = await call.gateway.relay(call.caller, model, body)
    return JSONResponse(messages_shape.message(answer, model.id), headers=headers)


def _offline(
    call: wire.Ask, model: Model, limit: int, tools: list[dict[str, Any]] | None
) -> Response:
    body, caller = call.body, call.caller
    chat = list(body["messages"])
    system = body.get("system")
    if system:
        chat = [{"role": "system", "content": system}, *chat]
    done, headers = call.gateway.complete(caller, model, chat, tools, limit)
    ident = f"msg_{caller.request_id or 'offline'}"
    content = _content(done)
    if body.get("stream") is True:
        events = _events(ident, model.id, done, content)
        return StreamingResponse(wire.sse(events), media_type="text/event-stream", headers=headers)
    answer = _message(ident, model.id, done, content, done.completion_tokens)
    return JSONResponse(answer, headers=headers)


def _content(done: Completion) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "text", "text": done.text}] if done.text else []
    for call in done.tool_calls:
        tool_id = "toolu_" + call.id.removeprefix("call_")
        args = json.loads(call.arguments)
        blocks.append({"type": "tool_use", "id": tool_id, "name": call.name, "input": args})
    return blocks


def _message(
    ident: str, model: str, done: Completion, content: list[dict[str, Any]], out: int
) -> dict[str, Any]:
    return {
        "id": ident,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": STOP.get(done.finish_reason, "end_turn"),
        "stop_sequence": None,
        "usage": {"input_tokens": done.prompt_tokens, "output_tokens": out},
    }


def _events(
    ident: str, model: str, done: Completion, content: list[dict[str, Any]]
) -> Iterator[tuple[str | None, Any]]:
    start = _message(ident, model, done, [], 1)
    start["stop_reason"] = None
    yield "message_start", {"type": "message_start", "message": start}
    for index, block in enumerate(content):
        opened: dict[str, Any]
        if block["type"] == "text":
            opened, deltas = (
                {"type": "text", "text": ""},
                [{"type": "text_delta", "text": p} for p in tokens.pieces(block["text"])],
            )
        else:
            opened = {**block, "input": {}}
            deltas = [{"type": "input_json_delta", "partial_json": json.dumps(block["input"])}]
        yield (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": index,
                "content_block": opened,
            },
        )
        for delta in deltas:
            yield (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": delta,
                },
            )
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {
                "stop_reason": STOP.get(done.finish_reason, "end_turn"),
                "stop_sequence": None,
            },
            "usage": {"output_tokens": done.completion_tokens},
        },
    )
    yield "message_stop", {"type": "message_stop"}
