"""Anthropic's Messages shape to and from OpenAI's chat shape, for a Claude client's call
(``/v1/messages``) to a model routed to an OpenAI-compatible upstream or Bedrock.

The Messages request becomes an OpenAI chat request (which ``convert.py`` renders for
Bedrock as it does any OpenAI-shaped call): the system text a system message, text
blocks text, ``tool_use`` blocks an assistant's tool calls, ``tool_result`` blocks tool
messages, tools and ``tool_choice`` OpenAI's functions. The OpenAI completion comes back
as a message, and a stream's OpenAI chunks as Anthropic's events (``message_start``, a
``content_block_*`` run per text or tool-use block, ``message_delta`` with the usage,
``message_stop``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from nexus_emulator.gateway.offline import text_of

STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
CHOICE = {"auto": "auto", "any": "required", "none": "none"}


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def openai_request(body: dict[str, Any]) -> dict[str, Any]:
    """The Messages request as an OpenAI chat request (same model name, limit, stream)."""
    messages: list[dict[str, Any]] = []
    system = body.get("system")
    if system:
        messages.append({"role": "system", "content": text_of(system)})
    for m in body["messages"]:
        blocks = _blocks(m.get("content"))
        text = "".join(str(b.get("text", "")) for b in blocks if b.get("type") == "text")
        if m["role"] == "assistant":
            said: dict[str, Any] = {"role": "assistant", "content": text or None}
            calls = [
                {
                    "id": str(b.get("id", "")),
                    "type": "function",
                    "function": {
                        "name": str(b.get("name", "")),
                        "arguments": json.dumps(b.get("input") or {}),
                    },
                }
                for b in blocks
                if b.get("type") == "tool_use"
            ]
            if calls:
                said["tool_calls"] = calls
            messages.append(said)
            continue
        for b in blocks:
            if b.get("type") == "tool_result":
                result = {"role": "tool", "tool_call_id": str(b.get("tool_use_id", ""))}
                messages.append({**result, "content": text_of(b.get("content"))})
        if text or not any(b.get("type") == "tool_result" for b in blocks):
            messages.append({"role": "user", "content": text})
    wanted: dict[str, Any] = {"model": body.get("model"), "messages": messages}
    wanted["max_tokens"] = body["max_tokens"]
    for name, to in (
        ("temperature", "temperature"),
        ("top_p", "top_p"),
        ("stop_sequences", "stop"),
    ):
        if body.get(name) is not None:
            wanted[to] = body[name]
    if body.get("stream") is True:
        wanted["stream"] = True
    tools = body.get("tools")
    if tools:
        wanted["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.get("name"),
                    "description": t.get("description", ""),
                    "parameters": t.get("input_schema") or {"type": "object", "properties": {}},
                },
            }
            for t in tools
        ]
        choice = body.get("tool_choice")
        choice = choice if isinstance(choice, dict) else {}
        if choice.get("type") == "tool":
            wanted["tool_choice"] = {"type": "function", "function": {"name": choice.get("name")}}
        elif choice.get("type") in CHOICE:
            wanted["tool_choice"] = CHOICE[choice["type"]]
    return wanted


def message(answer: dict[str, Any], model: str) -> dict[str, Any]:
    """An OpenAI chat completion as Anthropic's message."""
    choice = (answer.get("choices") or [{}])[0]
    said = choice.get("message") or {}
    content: list[dict[str, Any]] = []
    if said.get("content"):
        content.append({"type": "text", "text": str(said["content"])})
    for call in said.get("tool_calls") or []:
        fn = call.get("function") or {}
        try:
            args = json.loads(fn.get("arguments") or "{}")
        except ValueError:
            args = {}
        content.append(
            {
                "type": "tool_use",
                "id": str(call.get("id", "")),
                "name": str(fn.get("name", "")),
                "input": args,
            }
        )
    usage = answer.get("usage") or {}
    return {
        "id": "msg_" + str(answer.get("id") or "").removeprefix("chatcmpl-"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": STOP.get(str(choice.get("finish_reason")), "end_turn"),
        "stop_sequence": None,
        "usage": {
            "input_tokens": int(usage.get("prompt_tokens", 0)),
            "output_tokens": int(usage.get("completion_tokens", 0)),
        },
    }


def _event(kind: str, doc: dict[str, Any]) -> bytes:
    data = json.dumps({"type": kind, **doc}, separators=(",", ":"))
    return f"event: {kind}\ndata: {data}\n\n".encode()


class Events:
    """OpenAI chunks (event-stream lines) in, Anthropic's events out."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.index = -1  # the open block's index
        self.open: str | None = None  # text | tool_use
        self.stop = "end_turn"
        self.usage = {"input_tokens": 0, "output_tokens": 0}

    def start(self) -> bytes:
        head = {"id": "msg_gateway", "type": "message", "role": "assistant", "model": self.model}
        body: dict[str, Any] = {**head, "content": [], "stop_reason": None, "stop_sequence": None}
        return _event("message_start", {"message": {**body, "usage": dict(self.usage)}})

    def _close(self) -> list[bytes]:
        if self.open is None:
            return []
        self.open = None
        return [_event("content_block_stop", {"index": self.index})]

    def _opened(self, block: dict[str, Any]) -> list[bytes]:
        out = self._close()
        self.index += 1
        self.open = block["type"]
        return [*out, _event("content_block_start", {"index": self.index, "content_block": block})]

    def chunk(self, doc: dict[str, Any]) -> list[bytes]:
        if "error" in doc:
            error = doc["error"] if isinstance(doc["error"], dict) else {}
            failure = {
                "type": "api_error",
                "message": str(error.get("message", "the upstream failed")),
            }
            return [_event("error", {"error": failure})]
        out: list[bytes] = []
        usage = doc.get("usage") or {}
        if usage:
            self.usage = {
                "input_tokens": int(usage.get("prompt_tokens", 0)),
                "output_tokens": int(usage.get("completion_tokens", 0)),
            }
        for choice in doc.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("content"):
                if self.open != "text":
                    out += self._opened({"type": "text", "text": ""})
                text = {"type": "text_delta", "text": delta["content"]}
                out.append(_event("content_block_delta", {"index": self.index, "delta": text}))
            for call in delta.get("tool_calls") or []:
                fn = call.get("function") or {}
                if call.get("id"):
                    block = {
                        "type": "tool_use",
                        "id": call["id"],
                        "name": fn.get("name", ""),
                        "input": {},
                    }
                    out += self._opened(block)
                if fn.get("arguments"):
                    part = {"type": "input_json_delta", "partial_json": fn["arguments"]}
                    out.append(_event("content_block_delta", {"index": self.index, "delta": part}))
            if choice.get("finish_reason"):
                self.stop = STOP.get(str(choice["finish_reason"]), "end_turn")
        return out

    def end(self) -> list[bytes]:
        delta = {"stop_reason": self.stop, "stop_sequence": None}
        return [
            *self._close(),
            _event("message_delta", {"delta": delta, "usage": dict(self.usage)}),
            _event("message_stop", {}),
        ]


async def events(chunks: AsyncIterator[bytes], model: str) -> AsyncIterator[bytes]:
    """A relayed OpenAI stream as Anthropic's event stream."""
    out = Events(model)
    yield out.start()
    pending = b""
    try:
        async for piece in chunks:
            pending += piece
            *lines, pending = pending.split(b"\n")
            for line in lines:
                data = line.strip()
                if not data.startswith(b"data: {"):
                    continue
                try:
                    doc = json.loads(data[6:])
                except ValueError:
                    continue
                for frame in out.chunk(doc):
                    yield frame
                    if frame.startswith(b"event: error"):
                        return
        for frame in out.end():
            yield frame
    finally:
        close = getattr(chunks, "aclose", None)
        if close is not None:
            await close()  # the relay accounts for the call when its stream ends
