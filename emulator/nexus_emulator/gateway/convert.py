"""OpenAI's chat shape to and from the block-based shapes of Anthropic and Bedrock.

Agents call routed models in OpenAI's shape. For an Anthropic (Messages) or Bedrock
(Converse) upstream the request is turned into :class:`Turns` (the system text,
then user and assistant turns of text, tool-use and tool-result blocks, merged so
roles alternate as both APIs require) and rendered in that API's shape; the answer
comes back as an OpenAI chat completion, a stream as OpenAI chunks
(:class:`Chunks`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from nexus_emulator.gateway.errors import GatewayError
from nexus_emulator.gateway.offline import text_of

DEFAULT_MAX_TOKENS = 4096  # Anthropic and Bedrock want a limit; OpenAI's callers may give none
FINISH = {  # the upstream's stop reason -> OpenAI's finish_reason
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}


@dataclass
class Turn:
    role: str  # user | assistant
    blocks: list[dict[str, Any]] = field(default_factory=list)  # Anthropic's block shape


@dataclass
class Turns:
    system: str
    turns: list[Turn]
    max_tokens: int
    tools: list[dict[str, Any]]  # OpenAI's function tools: name, description, parameters
    tool_choice: Any
    temperature: float | None
    top_p: float | None
    stop: list[str]


def _arguments(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) and text else {}
    except ValueError:
        raise GatewayError(
            400, "bad_request", "a tool call's arguments must be JSON", "messages"
        ) from None


def turns_of(body: dict[str, Any]) -> Turns:
    """The OpenAI request's conversation as alternating turns of blocks."""
    system: list[str] = []
    turns: list[Turn] = []

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        if not blocks:
            return
        if turns and turns[-1].role == role:
            turns[-1].blocks.extend(blocks)
        else:
            turns.append(Turn(role, blocks))

    for m in body.get("messages") or []:
        role, text = m.get("role"), text_of(m.get("content"))
        if role in ("system", "developer"):
            system.append(text)
        elif role == "tool":
            result = {
                "type": "tool_result",
                "tool_use_id": str(m.get("tool_call_id", "")),
                "content": text,
            }
            add("user", [result])
        elif role == "assistant":
            blocks: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
            for call in m.get("tool_calls") or []:
                fn = call.get("function") or {}
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": str(call.get("id", "")),
                        "name": str(fn.get("name", "")),
                        "input": _arguments(fn.get("arguments")),
                    }
                )
            add("assistant", blocks)
        else:
            add("user", [{"type": "text", "text": text}])
    tools = [t["function"] for t in body.get("tools") or [] if isinstance(t.get("function"), dict)]
    stop = body.get("stop")
    limit = body.get("max_completion_tokens") or body.get("max_tokens") or DEFAULT_MAX_TOKENS
    return Turns(
        "\n\n".join(system),
        turns,
        int(limit),
        tools,
        body.get("tool_choice"),
        body.get("temperature"),
        body.get("top_p"),
        [stop] if isinstance(stop, str) else list(stop or []),
    )


def _choice(choice: Any) -> tuple[str, str | None] | None:
    """OpenAI's tool_choice as (auto | any | tool | none, tool name)."""
    if choice == "required":
        return "any", None
    if choice in ("auto", "none"):
        return str(choice), None
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        return "tool", str(choice["function"].get("name"))
    return None


def _settings(t: Turns, temperature: str, top_p: str, stop: str) -> dict[str, Any]:
    """The sampling settings the caller gave, under the upstream's names for them."""
    given = {temperature: t.temperature, top_p: t.top_p, stop: t.stop or None}
    return {name: value for name, value in given.items() if value is not None}


# ------------------------------------------------------------------ Anthropic


def anthropic_request(body: dict[str, Any], model: str) -> dict[str, Any]:
    t = turns_of(body)
    wanted: dict[str, Any] = {
        "model": model,
        "max_tokens": t.max_tokens,
        "messages": [{"role": x.role, "content": x.blocks} for x in t.turns],
    }
    if t.system:
        wanted["system"] = t.system
    wanted.update(_settings(t, "temperature", "top_p", "stop_sequences"))
    if t.tools:
        wanted["tools"] = [
            {
                "name": f.get("name"),
                "description": f.get("description", ""),
                "input_schema": f.get("parameters") or {"type": "object", "properties": {}},
            }
            for f in t.tools
        ]
        choice = _choice(t.tool_choice)
        if choice is not None:
            kind, name = choice
            wanted["tool_choice"] = {"type": kind, **({"name": name} if name else {})}
    return wanted


def from_anthropic(answer: dict[str, Any], model: str) -> tuple[dict[str, Any], int, int]:
    """Anthropic's message as an OpenAI chat completion, and its tokens in and out."""
    text, calls = [], []
    for block in answer.get("content") or []:
        if block.get("type") == "text":
            text.append(str(block.get("text", "")))
        elif block.get("type") == "tool_use":
            calls.append((str(block.get("id")), str(block.get("name")), block.get("input") or {}))
    usage = answer.get("usage") or {}
    tokens_in, tokens_out = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
    reason = FINISH.get(str(answer.get("stop_reason")), "stop")
    ident = str(answer.get("id") or "")
    return (
        completion(ident, model, "".join(text), calls, reason, tokens_in, tokens_out),
        tokens_in,
        tokens_out,
    )


# ------------------------------------------------------------------ Bedrock Converse


def _bedrock_block(block: dict[str, Any]) -> dict[str, Any]:
    if block["type"] == "text":
        return {"text": block["text"]}
    if block["type"] == "tool_use":
        return {
            "toolUse": {"toolUseId": block["id"], "name": block["name"], "input": block["input"]}
        }
    return {
        "toolResult": {"toolUseId": block["tool_use_id"], "content": [{"text": block["content"]}]}
    }


def converse_request(body: dict[str, Any], model: str) -> dict[str, Any]:
    """Keyword arguments of botocore's ``converse`` / ``converse_stream``."""
    t = turns_of(body)
    config = {"maxTokens": t.max_tokens, **_settings(t, "temperature", "topP", "stopSequences")}
    wanted: dict[str, Any] = {
        "modelId": model,
        "messages": [
            {"role": x.role, "content": [_bedrock_block(b) for b in x.blocks]} for x in t.turns
        ],
        "inferenceConfig": config,
    }
    if t.system:
        wanted["system"] = [{"text": t.system}]
    choice = _choice(t.tool_choice)
    if t.tools and (choice is None or choice[0] != "none"):
        specs = [
            {
                "toolSpec": {
                    "name": f.get("name"),
                    "description": f.get("description") or "",
                    "inputSchema": {"json": f.get("parameters") or {"type": "object"}},
                }
            }
            for f in t.tools
        ]
        wanted["toolConfig"] = {"tools": specs}
        if choice is not None and choice[0] != "none":
            kind, name = choice
            wanted["toolConfig"]["toolChoice"] = {kind: {"name": name} if name else {}}
    return wanted


def from_converse(answer: dict[str, Any], model: str) -> tuple[dict[str, Any], int, int]:
    """Bedrock's Converse answer as an OpenAI chat completion, and its tokens in and out."""
    text, calls = [], []
    message = (answer.get("output") or {}).get("message") or {}
    for block in message.get("content") or []:
        if "text" in block:
            text.append(str(block["text"]))
        elif "toolUse" in block:
            use = block["toolUse"]
            calls.append((str(use.get("toolUseId")), str(use.get("name")), use.get("input") or {}))
    usage = answer.get("usage") or {}
    tokens_in, tokens_out = int(usage.get("inputTokens", 0)), int(usage.get("outputTokens", 0))
    reason = FINISH.get(str(answer.get("stopReason")), "stop")
    ident = str((answer.get("ResponseMetadata") or {}).get("RequestId") or "")
    return (
        completion(ident, model, "".join(text), calls, reason, tokens_in, tokens_out),
        tokens_in,
        tokens_out,
    )


# ------------------------------------------------------------------ OpenAI's shape


def completion(
    ident: str,
    model: str,
    text: str,
    calls: list[tuple[str, str, Any]],
    reason: str,
    tokens_in: int,
    tokens_out: int,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if calls:
        message["tool_calls"] = [
            {"id": i, "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
            for i, n, a in calls
        ]
    return {
        "id": f"chatcmpl-{ident}" if ident else f"chatcmpl-{int(time.time() * 1e6)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": reason}],
        "usage": {
            "prompt_tokens": tokens_in,
            "completion_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
        },
    }


class Chunks:
    """OpenAI chat-completion chunks (event-stream frames) for a translated stream."""

    def __init__(self, model: str) -> None:
        self.head = {
            "id": f"chatcmpl-{int(time.time() * 1e6)}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
        }
        self.text: list[str] = []  # what was said, to count tokens when no usage comes
        self.tools: dict[int, int] = {}  # upstream block index -> OpenAI tool call index

    def _frame(self, doc: dict[str, Any]) -> bytes:
        return (
            b"data: " + json.dumps({**self.head, **doc}, separators=(",", ":")).encode() + b"\n\n"
        )

    def _delta(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        return self._frame({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    def start(self) -> bytes:
        return self._delta({"role": "assistant", "content": ""})

    def content(self, piece: str) -> bytes:
        self.text.append(piece)
        return self._delta({"content": piece})

    def tool_start(self, block: int, ident: str, name: str) -> bytes:
        self.tools[block] = len(self.tools)
        call = {
            "index": self.tools[block],
            "id": ident,
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        return self._delta({"tool_calls": [call]})

    def tool_arguments(self, block: int, partial: str) -> bytes:
        self.text.append(partial)
        call = {"index": self.tools.get(block, 0), "function": {"arguments": partial}}
        return self._delta({"tool_calls": [call]})

    def finish(self, stop_reason: str | None) -> bytes:
        return self._delta({}, FINISH.get(str(stop_reason), "stop"))

    def usage(self, tokens_in: int, tokens_out: int) -> bytes:
        return self._frame(
            {
                "choices": [],
                "usage": {
                    "prompt_tokens": tokens_in,
                    "completion_tokens": tokens_out,
                    "total_tokens": tokens_in + tokens_out,
                },
            }
        )

    @staticmethod
    def failure(message: str) -> bytes:
        doc = {"error": {"message": message, "type": "api_error", "code": "upstream_error"}}
        return b"data: " + json.dumps(doc).encode() + b"\n\n"

    DONE = b"data: [DONE]\n\n"
