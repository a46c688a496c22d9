"""Calls to an OpenAI-compatible upstream (OpenAI, Ollama, vLLM, a LiteLLM proxy).

The request goes on as the agent sent it, with the upstream's model name and the
key from the calling agent's credential in the vault; the answer comes back with
the gateway's model name. A streamed call asks the upstream for a usage chunk and
relays every chunk as it arrives. Tokens are the upstream's own ``usage`` (counted
with cl100k when it sends none). Failures become gateway errors: unreachable or
5xx 502 ``upstream_error``, a timeout 504, the upstream's 429 a 429 with its
``Retry-After``, another 4xx its status and message.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from nexus_api.gateway import ModelRoute
from nexus_emulator.gateway import tokens
from nexus_emulator.gateway.errors import GatewayError


@dataclass
class Used:
    tokens_in: int = 0
    tokens_out: int = 0


class OpenAIUpstream:
    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _request(self, route: ModelRoute, body: dict[str, Any], key: str | None) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return {
            "url": route.url.rstrip("/") + "/chat/completions",
            "data": json.dumps({**body, "model": route.upstream_model}),
            "headers": headers,
            "timeout": aiohttp.ClientTimeout(total=route.timeout),
        }

    async def chat(
        self, route: ModelRoute, body: dict[str, Any], key: str | None
    ) -> tuple[dict[str, Any], Used]:
        request = self._request(route, {**body, "stream": False}, key)
        try:
            async with self.session().post(**request) as resp:
                raw = await resp.read()
                await _check(route, resp.status, raw, resp.headers.get("retry-after"))
        except TimeoutError:  # before OSError, of which it is a kind
            raise _timeout(route) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise GatewayError(502, "upstream", f"{route.url} is unreachable: {exc}") from None
        try:
            answer: dict[str, Any] = json.loads(raw)
        except ValueError:
            raise GatewayError(502, "upstream", f"{route.url} answered no JSON") from None
        answer["model"] = route.name
        usage = answer.get("usage") or {}
        used = Used(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0))
        if not usage:
            used = _counted(body, _text_of_answer(answer))
        return answer, used

    async def stream(
        self, route: ModelRoute, body: dict[str, Any], key: str | None, used: Used
    ) -> AsyncIterator[bytes]:
        """The upstream's event-stream chunks, as they come; ``used`` filled at the end.
        Errors before the first chunk raise ``GatewayError``."""
        wanted = {**body, "stream": True, "stream_options": {"include_usage": True}}
        request = self._request(route, wanted, key)
        try:
            resp = await self.session().post(**request)
        except TimeoutError:  # before OSError, of which it is a kind
            raise _timeout(route) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise GatewayError(502, "upstream", f"{route.url} is unreachable: {exc}") from None
        if resp.status >= 400:
            raw = await resp.read()
            resp.release()
            await _check(route, resp.status, raw, resp.headers.get("retry-after"))
        return self._relay(route, resp, body, used)

    async def _relay(
        self, route: ModelRoute, resp: aiohttp.ClientResponse, body: dict[str, Any], used: Used
    ) -> AsyncIterator[bytes]:
        text, found = [], False
        try:
            async for line in resp.content:
                if line.startswith(b"data: {"):
                    chunk = json.loads(line[6:])
                    if chunk.get("usage"):
                        found = True
                        used.tokens_in = chunk["usage"].get("prompt_tokens", 0)
                        used.tokens_out = chunk["usage"].get("completion_tokens", 0)
                    for choice in chunk.get("choices") or []:
                        text.append((choice.get("delta") or {}).get("content") or "")
                    chunk["model"] = route.name
                    line = b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n"
                yield line
        except (TimeoutError, aiohttp.ClientError) as exc:
            failure = {"error": {"message": f"the upstream stopped: {exc}", "type": "api_error"}}
            yield b"data: " + json.dumps(failure).encode() + b"\n\n"
        finally:
            resp.release()
            if not found:
                counted = _counted(body, "".join(text))
                used.tokens_in, used.tokens_out = counted.tokens_in, counted.tokens_out


async def _check(route: ModelRoute, status: int, raw: bytes, retry: str | None) -> None:
    if status < 400:
        return
    try:
        message = json.loads(raw)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = raw.decode("utf-8", "replace")[:200] or f"HTTP {status}"
    where = f"{route.name} ({route.url})"
    if status == 429:
        headers = {"retry-after": retry} if retry else {}
        raise GatewayError(
            429, "rate_limited", f"{where} is rate limited: {message}", headers=headers
        )
    if status >= 500:
        raise GatewayError(502, "upstream", f"{where} failed with HTTP {status}: {message}")
    raise GatewayError(status, "bad_request", f"{where} refused the request: {message}")


def _timeout(route: ModelRoute) -> GatewayError:
    return GatewayError(
        504, "timeout", f"{route.name} ({route.url}) did not answer within {route.timeout:g} s"
    )


def _text_of_answer(answer: dict[str, Any]) -> str:
    try:
        return str(answer["choices"][0]["message"].get("content") or "")
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""


def _counted(body: dict[str, Any], completion: str) -> Used:
    from nexus_emulator.gateway.offline import text_of

    prompt = sum(tokens.count(text_of(m.get("content"))) for m in body.get("messages") or [])
    return Used(prompt, tokens.count(completion))
