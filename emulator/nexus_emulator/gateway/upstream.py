"""Calls to an OpenAI-compatible upstream (OpenAI, Ollama, vLLM, a LiteLLM proxy), and
what every upstream shares (``Used``, the failures as gateway errors, the counting).

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
from typing import Any, Protocol

import aiohttp

from nexus_api.gateway import ModelRoute
from nexus_emulator.gateway import tokens
from nexus_emulator.gateway.errors import GatewayError


@dataclass
class Used:
    tokens_in: int = 0
    tokens_out: int = 0


class Upstream(Protocol):
    """One provider's calls: a whole chat completion, or its chunks as they come (OpenAI's
    shape both ways; ``used`` filled when the stream ends)."""

    async def chat(
        self, route: ModelRoute, body: dict[str, Any], key: str | None
    ) -> tuple[dict[str, Any], Used]: ...

    async def stream(
        self, route: ModelRoute, body: dict[str, Any], key: str | None, used: Used
    ) -> AsyncIterator[bytes]: ...

    async def embed(
        self, route: ModelRoute, texts: list[str], dims: int | None, key: str | None
    ) -> tuple[list[list[float]], int]: ...

    async def close(self) -> None: ...


class HttpUpstream:
    """An upstream reached over HTTP with one aiohttp session, opened at first use."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def post(self, route: ModelRoute, request: dict[str, Any]) -> aiohttp.ClientResponse:
        """The upstream's response (its status checked: a ``GatewayError`` when it failed)."""
        try:
            resp = await self.session().post(**request)
        except TimeoutError:  # before OSError, of which it is a kind
            raise timed_out(route) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise unreachable(route, exc) from None
        if resp.status >= 400:
            try:
                raw = await resp.read()
            except (TimeoutError, aiohttp.ClientError):
                raw = b""
            resp.release()
            retry = resp.headers.get("retry-after")
            raise refused(route, resp.status, message_of(raw, resp.status), retry)
        return resp

    async def whole(self, route: ModelRoute, request: dict[str, Any]) -> dict[str, Any]:
        """The upstream's JSON answer to a request."""
        resp = await self.post(route, request)
        try:
            raw = await resp.read()
        except TimeoutError:
            raise timed_out(route) from None
        except aiohttp.ClientError as exc:
            raise unreachable(route, exc) from None
        finally:
            resp.release()
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise GatewayError(502, "upstream", f"{where(route)} answered no JSON object")
        return answer

    async def embed(
        self, route: ModelRoute, texts: list[str], dims: int | None, key: str | None
    ) -> tuple[list[list[float]], int]:
        raise GatewayError(400, "bad_request", f"{where(route)} has no embeddings", "model")


class OpenAIUpstream(HttpUpstream):
    def _request(
        self,
        route: ModelRoute,
        body: dict[str, Any],
        key: str | None,
        path: str = "/chat/completions",
    ) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return {
            "url": str(route.url).rstrip("/") + path,
            "data": json.dumps({**body, "model": route.upstream_model}),
            "headers": headers,
            "timeout": aiohttp.ClientTimeout(total=route.timeout),
        }

    async def embed(
        self, route: ModelRoute, texts: list[str], dims: int | None, key: str | None
    ) -> tuple[list[list[float]], int]:
        """The upstream's vectors (in the order of ``texts``) and its prompt tokens
        (counted with cl100k when it sends no usage)."""
        wanted: dict[str, Any] = {"input": texts, **({"dimensions": dims} if dims else {})}
        answer = await self.whole(route, self._request(route, wanted, key, "/embeddings"))
        try:
            data = sorted(answer["data"], key=lambda d: int(d.get("index", 0)))
            vectors = [[float(x) for x in d["embedding"]] for d in data]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise GatewayError(502, "upstream", f"{where(route)} answered no embeddings") from None
        if len(vectors) != len(texts):
            raise GatewayError(
                502,
                "upstream",
                f"{where(route)} answered {len(vectors)} vectors for {len(texts)} inputs",
            )
        usage = answer.get("usage") or {}
        used = usage.get("prompt_tokens")
        return vectors, int(used) if used is not None else sum(tokens.count(t) for t in texts)

    async def chat(
        self, route: ModelRoute, body: dict[str, Any], key: str | None
    ) -> tuple[dict[str, Any], Used]:
        answer = await self.whole(route, self._request(route, {**body, "stream": False}, key))
        answer["model"] = route.name
        usage = answer.get("usage") or {}
        used = Used(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0))
        if not usage:
            used = counted(body, _text_of_answer(answer))
        return answer, used

    async def stream(
        self, route: ModelRoute, body: dict[str, Any], key: str | None, used: Used
    ) -> AsyncIterator[bytes]:
        """The upstream's event-stream chunks, as they come; ``used`` filled at the end.
        Errors before the first chunk raise ``GatewayError``."""
        wanted = {**body, "stream": True, "stream_options": {"include_usage": True}}
        resp = await self.post(route, self._request(route, wanted, key))
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
                fill = counted(body, "".join(text))
                used.tokens_in, used.tokens_out = fill.tokens_in, fill.tokens_out


def where(route: ModelRoute) -> str:
    return f"{route.name} ({route.url or route.provider})"


def message_of(raw: bytes, status: int) -> str:
    """The error message of an upstream's error body (OpenAI's and Anthropic's shapes)."""
    try:
        return str(json.loads(raw)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return raw.decode("utf-8", "replace")[:200] or f"HTTP {status}"


def refused(route: ModelRoute, status: int, message: str, retry: str | None = None) -> GatewayError:
    """An upstream's failure status as a gateway error: its 429 a 429 (with its
    ``Retry-After``), a 5xx 502, a 408 504, another 4xx its status and message."""
    if status == 429:
        headers = {"retry-after": retry} if retry else {}
        return GatewayError(
            429, "rate_limited", f"{where(route)} is rate limited: {message}", headers=headers
        )
    if status == 408:
        return timed_out(route)
    if status >= 500 or status == 424:
        return GatewayError(502, "upstream", f"{where(route)} failed with HTTP {status}: {message}")
    return GatewayError(status, "bad_request", f"{where(route)} refused the request: {message}")


def unreachable(route: ModelRoute, exc: BaseException) -> GatewayError:
    return GatewayError(502, "upstream", f"{where(route)} is unreachable: {exc}")


def timed_out(route: ModelRoute) -> GatewayError:
    return GatewayError(504, "timeout", f"{where(route)} did not answer within {route.timeout:g} s")


def _text_of_answer(answer: dict[str, Any]) -> str:
    try:
        return str(answer["choices"][0]["message"].get("content") or "")
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""


def counted(body: dict[str, Any], completion: str) -> Used:
    from nexus_emulator.gateway.offline import text_of

    prompt = sum(tokens.count(text_of(m.get("content"))) for m in body.get("messages") or [])
    return Used(prompt, tokens.count(completion))
