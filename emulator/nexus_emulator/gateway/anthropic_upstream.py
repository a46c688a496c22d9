"""Calls to Anthropic's Messages API (``POST {url}/v1/messages``) for a routed model.

The agent's OpenAI-shaped call is turned into a Messages request (``convert.py``)
with the upstream's model name and the calling agent's key (``x-api-key``, from the
vault); the message comes back as an OpenAI chat completion, a stream's events
(``message_start`` … ``message_stop``) as OpenAI chunks. Tokens are the message's
own ``usage``. Failures are the same gateway errors as for any upstream
(``upstream.refused``); Anthropic's 529 (overloaded) is a 5xx, so a 502.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from nexus_api.gateway import ModelRoute
from nexus_emulator.gateway import convert
from nexus_emulator.gateway.upstream import HttpUpstream, Used, counted

URL = "https://api.anthropic.com"
VERSION = "2023-06-01"


class AnthropicUpstream(HttpUpstream):
    def _request(self, route: ModelRoute, body: dict[str, Any], key: str | None) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "anthropic-version": VERSION}
        if key:
            headers["x-api-key"] = key
        return {
            "url": (route.url or URL).rstrip("/") + "/v1/messages",
            "data": json.dumps(body),
            "headers": headers,
            "timeout": aiohttp.ClientTimeout(total=route.timeout),
        }

    async def chat(
        self, route: ModelRoute, body: dict[str, Any], key: str | None
    ) -> tuple[dict[str, Any], Used]:
        wanted = convert.anthropic_request(body, route.upstream_model)
        answer = await self.whole(route, self._request(route, wanted, key))
        completion, tokens_in, tokens_out = convert.from_anthropic(answer, route.name)
        return completion, Used(tokens_in, tokens_out)

    async def stream(
        self, route: ModelRoute, body: dict[str, Any], key: str | None, used: Used
    ) -> AsyncIterator[bytes]:
        wanted = {**convert.anthropic_request(body, route.upstream_model), "stream": True}
        resp = await self.post(route, self._request(route, wanted, key))
        return self._relay(route, resp, body, used)

    async def _relay(
        self, route: ModelRoute, resp: aiohttp.ClientResponse, body: dict[str, Any], used: Used
    ) -> AsyncIterator[bytes]:
        chunks, found = convert.Chunks(route.name), False
        yield chunks.start()
        try:
            async for line in resp.content:
                if not line.startswith(b"data: {"):
                    continue
                event = json.loads(line[6:])
                kind = event.get("type")
                if kind == "message_start":
                    usage = (event.get("message") or {}).get("usage") or {}
                    used.tokens_in = int(usage.get("input_tokens", 0))
                    found = "input_tokens" in usage
                elif kind == "content_block_start":
                    block = event.get("content_block") or {}
                    if block.get("type") == "tool_use":
                        yield chunks.tool_start(
                            int(event.get("index", 0)), str(block.get("id")), str(block.get("name"))
                        )
                elif kind == "content_block_delta":
                    delta = event.get("delta") or {}
                    if delta.get("type") == "text_delta":
                        yield chunks.content(str(delta.get("text", "")))
                    elif delta.get("type") == "input_json_delta":
                        partial = str(delta.get("partial_json", ""))
                        yield chunks.tool_arguments(int(event.get("index", 0)), partial)
                elif kind == "message_delta":
                    usage = event.get("usage") or {}
                    used.tokens_out = int(usage.get("output_tokens", 0))
                    yield chunks.finish((event.get("delta") or {}).get("stop_reason"))
                elif kind == "error":
                    message = (event.get("error") or {}).get("message", "an error event")
                    yield chunks.failure(f"{route.name}: the upstream failed: {message}")
                    return
            if found:
                yield chunks.usage(used.tokens_in, used.tokens_out)
            yield chunks.DONE
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            yield chunks.failure(f"{route.name}: the upstream stopped: {exc}")
        finally:
            resp.release()
            if not found:
                fill = counted(body, "".join(chunks.text))
                used.tokens_in, used.tokens_out = fill.tokens_in, fill.tokens_out


class AnthropicMessages(AnthropicUpstream):
    """A call that came in Anthropic's own shape (``/v1/messages``) for an Anthropic model:
    sent on as it is, with the upstream's model name and the agent's key; the message or
    its event stream comes back as it is, with the gateway's model name."""

    async def chat(
        self, route: ModelRoute, body: dict[str, Any], key: str | None
    ) -> tuple[dict[str, Any], Used]:
        wanted = {**body, "model": route.upstream_model, "stream": False}
        answer = await self.whole(route, self._request(route, wanted, key))
        answer["model"] = route.name
        usage = answer.get("usage") or {}
        return answer, Used(int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0)))

    async def stream(
        self, route: ModelRoute, body: dict[str, Any], key: str | None, used: Used
    ) -> AsyncIterator[bytes]:
        wanted = {**body, "model": route.upstream_model, "stream": True}
        resp = await self.post(route, self._request(route, wanted, key))
        return self._events(route, resp, used)

    async def _events(
        self, route: ModelRoute, resp: aiohttp.ClientResponse, used: Used
    ) -> AsyncIterator[bytes]:
        try:
            async for line in resp.content:
                if line.startswith(b"data: {"):
                    event = json.loads(line[6:])
                    if event.get("type") == "message_start":
                        message = event.get("message") or {}
                        message["model"] = route.name
                        used.tokens_in = int((message.get("usage") or {}).get("input_tokens", 0))
                        line = b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n"
                    elif event.get("type") == "message_delta":
                        used.tokens_out = int((event.get("usage") or {}).get("output_tokens", 0))
                yield line
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            failure = {"type": "error", "error": {"type": "api_error",
                       "message": f"{route.name}: the upstream stopped: {exc}"}}  # fmt: skip
            yield b"event: error\ndata: " + json.dumps(failure).encode() + b"\n\n"
        finally:
            resp.release()
