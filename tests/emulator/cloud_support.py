"""Anthropic's Messages API and Bedrock's Converse API on loopback: the gateway's upstreams
in tests, speaking each API's wire shape (moto's bedrock-runtime has InvokeModel only,
no Converse, so Bedrock is a server of our own too).

The upstream model name picks the behaviour, as in ``upstream_support``: ``*-echo``
answers the last user text upper-cased (usage 11 in, 5 out), ``*-tool`` calls the
first tool offered with ``{"city": "Paris"}``, ``*-fail`` a 5xx (Anthropic's 529
overloaded, Bedrock's 500 InternalServerException), ``*-limited`` a 429 with
``Retry-After: 7`` (Bedrock's ThrottlingException). Streams send one text delta per
word. Every request body and auth header seen is kept (``bodies``, ``auths``).
"""

from __future__ import annotations

import json
import struct
import urllib.parse
import zlib
from typing import Any

from tests.emulator.http_support import JsonHandler, serve

USAGE_IN, USAGE_OUT = 11, 5


def _last_text(messages: list[dict[str, Any]], text_of: Any) -> str:
    for m in reversed(messages):
        if m["role"] == "user":
            if isinstance(m["content"], str):  # Anthropic takes a string for one text block
                return str(m["content"]).upper()
            texts = [text_of(b) for b in m["content"]]
            return " ".join(t for t in texts if t).upper()
    return ""


class _Recording(JsonHandler):
    protocol_version = "HTTP/1.1"
    upstream: Any

    def body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length", "0"))
        body: dict[str, Any] = json.loads(self.rfile.read(length))
        self.upstream.bodies.append(body)
        return body

    def failed(self, status: int, body: Any, headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(data))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class AnthropicServer:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.auths: list[tuple[str, str]] = []  # (x-api-key, anthropic-version)
        upstream = self

        class Handler(_Recording):
            def do_POST(self) -> None:
                self.upstream = upstream
                upstream.auths.append(
                    (self.headers.get("x-api-key", ""), self.headers.get("anthropic-version", ""))
                )
                body = self.body()
                if self.path != "/v1/messages":
                    self.answer(
                        404,
                        {
                            "type": "error",
                            "error": {"type": "not_found_error", "message": self.path},
                        },
                    )
                    return
                model = str(body["model"])
                if model.endswith("-fail"):
                    error = {"type": "overloaded_error", "message": "Overloaded"}
                    self.answer(529, {"type": "error", "error": error})
                    return
                if model.endswith("-limited"):
                    error = {"type": "rate_limit_error", "message": "slow down"}
                    self.failed(429, {"type": "error", "error": error}, {"retry-after": "7"})
                    return
                blocks = self._blocks(body)
                if body.get("stream"):
                    self._stream(model, blocks)
                    return
                stop = "tool_use" if blocks[0]["type"] == "tool_use" else "end_turn"
                self.answer(
                    200,
                    {
                        "id": "msg_up1",
                        "type": "message",
                        "role": "assistant",
                        "model": model,
                        "content": blocks,
                        "stop_reason": stop,
                        "stop_sequence": None,
                        "usage": {"input_tokens": USAGE_IN, "output_tokens": USAGE_OUT},
                    },
                )

            def _blocks(self, body: dict[str, Any]) -> list[dict[str, Any]]:
                if str(body["model"]).endswith("-tool"):
                    name = body["tools"][0]["name"]
                    return [
                        {
                            "type": "tool_use",
                            "id": "toolu_up1",
                            "name": name,
                            "input": {"city": "Paris"},
                        }
                    ]
                text = _last_text(body["messages"], lambda b: b.get("text") or b.get("content"))
                return [{"type": "text", "text": text}]

            def _stream(self, model: str, blocks: list[dict[str, Any]]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                start = {
                    "id": "msg_up1",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "usage": {"input_tokens": USAGE_IN, "output_tokens": 1},
                }
                events: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
                block = blocks[0]
                if block["type"] == "text":
                    events.append(
                        {
                            "type": "content_block_start",
                            "index": 0,
                            "content_block": {"type": "text", "text": ""},
                        }
                    )
                    events += [
                        {
                            "type": "content_block_delta",
                            "index": 0,
                            "delta": {"type": "text_delta", "text": w},
                        }
                        for w in block["text"].split(" ")
                    ]
                else:
                    events.append(
                        {
                            "type": "content_block_start",
                            "index": 0,
                            "content_block": {**block, "input": {}},
                        }
                    )
                    events.append(
                        {
                            "type": "content_block_delta",
                            "index": 0,
                            "delta": {
                                "type": "input_json_delta",
                                "partial_json": json.dumps(block["input"]),
                            },
                        }
                    )
                events.append({"type": "content_block_stop", "index": 0})
                stop = "tool_use" if block["type"] == "tool_use" else "end_turn"
                events.append(
                    {
                        "type": "message_delta",
                        "delta": {"stop_reason": stop},
                        "usage": {"output_tokens": USAGE_OUT},
                    }
                )
                events.append({"type": "message_stop"})
                for event in events:
                    frame = f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"
                    self.wfile.write(frame.encode())
                    self.wfile.flush()
                self.close_connection = True

        self.server, self.url = serve(Handler)

    def close(self) -> None:
        self.server.shutdown()


def event_message(event_type: str, payload: dict[str, Any]) -> bytes:
    """One message of AWS's event-stream encoding (``application/vnd.amazon.eventstream``)."""
    headers = b""
    for name, value in (
        (":event-type", event_type),
        (":content-type", "application/json"),
        (":message-type", "event"),
    ):
        headers += bytes([len(name)]) + name.encode() + b"\x07"
        headers += struct.pack(">H", len(value)) + value.encode()
    data = json.dumps(payload).encode()
    prelude = struct.pack(">II", 12 + len(headers) + len(data) + 4, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + headers + data
    return message + struct.pack(">I", zlib.crc32(message))


class BedrockServer:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.auths: list[str] = []  # the SigV4 Authorization headers
        upstream = self

        class Handler(_Recording):
            def do_POST(self) -> None:
                self.upstream = upstream
                upstream.auths.append(self.headers.get("Authorization", ""))
                body = self.body()
                parts = self.path.split("/")  # /model/{modelId}/converse[-stream]
                model = urllib.parse.unquote(parts[2])
                if model.endswith("-fail"):
                    self.failed(
                        500,
                        {"message": "the model broke"},
                        {"x-amzn-ErrorType": "InternalServerException"},
                    )
                    return
                if model.endswith("-limited"):
                    self.failed(
                        429,
                        {"message": "Too many requests"},
                        {"x-amzn-ErrorType": "ThrottlingException", "retry-after": "7"},
                    )
                    return
                if parts[3] == "invoke":  # a Titan embedding: [length, dimensions asked]
                    vector = [float(len(body["inputText"])), float(body.get("dimensions", 0))]
                    self.answer(200, {"embedding": vector, "inputTextTokenCount": 3})
                    return
                content = self._content(model, body)
                stop = "tool_use" if "toolUse" in content[0] else "end_turn"
                usage = {
                    "inputTokens": USAGE_IN,
                    "outputTokens": USAGE_OUT,
                    "totalTokens": USAGE_IN + USAGE_OUT,
                }
                if parts[3] == "converse-stream":
                    self._stream(content[0], stop, usage)
                    return
                self.answer(
                    200,
                    {
                        "output": {"message": {"role": "assistant", "content": content}},
                        "stopReason": stop,
                        "usage": usage,
                        "metrics": {"latencyMs": 3},
                    },
                )

            def _content(self, model: str, body: dict[str, Any]) -> list[dict[str, Any]]:
                if model.endswith("-tool"):
                    name = body["toolConfig"]["tools"][0]["toolSpec"]["name"]
                    return [
                        {
                            "toolUse": {
                                "toolUseId": "tooluse_up1",
                                "name": name,
                                "input": {"city": "Paris"},
                            }
                        }
                    ]
                return [{"text": _last_text(body["messages"], lambda b: b.get("text"))}]

            def _stream(self, block: dict[str, Any], stop: str, usage: dict[str, int]) -> None:
                events: list[tuple[str, dict[str, Any]]] = [("messageStart", {"role": "assistant"})]
                if "text" in block:
                    events += [
                        ("contentBlockDelta", {"delta": {"text": w}, "contentBlockIndex": 0})
                        for w in block["text"].split(" ")
                    ]
                else:
                    use = block["toolUse"]
                    start = {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}
                    delta = {"toolUse": {"input": json.dumps(use["input"])}}
                    events.append(("contentBlockStart", {"start": start, "contentBlockIndex": 0}))
                    events.append(("contentBlockDelta", {"delta": delta, "contentBlockIndex": 0}))
                events.append(("contentBlockStop", {"contentBlockIndex": 0}))
                events.append(("messageStop", {"stopReason": stop}))
                events.append(("metadata", {"usage": usage, "metrics": {"latencyMs": 3}}))
                data = b"".join(event_message(kind, payload) for kind, payload in events)
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.amazon.eventstream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server, self.url = serve(Handler)

    def close(self) -> None:
        self.server.shutdown()
