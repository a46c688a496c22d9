"""The model gateway client an agent reaches as ``self.llm``.

It calls the platform's OpenAI-compatible gateway:
``POST {NEXUS_GATEWAY_URL}/v1/chat/completions`` with
``Authorization: Bearer <the replica's workload token>`` (from the platform
file, refreshed by the platform; ``NEXUS_WORKLOAD_TOKEN`` outside one).
Without ``NEXUS_GATEWAY_URL`` every call fails with :class:`GatewayNotConfigured`.
Tokens reported in the answer's ``usage`` are added to the current request's
``tokens_used``.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from nexus.ai.agents._context import current_context
from nexus.ai.agents._platform import workload_token

Message = dict[str, Any]


class LLMError(RuntimeError):
    """The model gateway refused or failed a call."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class GatewayNotConfigured(LLMError):
    """No model gateway is configured for this agent."""


class LLM:
    """``await llm.generate("prompt")`` -> the model's answer as text."""

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        model: str | None = None,
        timeout: float = 300.0,
    ) -> None:
        self._base_url = base_url
        self._token = token
        self._model = model
        self.timeout = timeout

    @property
    def base_url(self) -> str:
        from nexus.ai.agents._gateway_env import gateway_url

        url = self._base_url or os.environ.get("NEXUS_GATEWAY_URL", "") or gateway_url() or ""
        if not url:
            raise GatewayNotConfigured(
                "no model gateway is configured for this agent (NEXUS_GATEWAY_URL is not set); "
                "deploy the agent on Nexus, or set NEXUS_GATEWAY_URL and NEXUS_WORKLOAD_TOKEN"
            )
        return url.rstrip("/")

    async def generate(
        self, prompt: str | list[Message], *, system: str | None = None, **options: Any
    ) -> str:
        """Send one prompt (or a list of chat messages); return the first choice's text.

        ``options`` go into the request as is (``model``, ``temperature``,
        ``max_tokens``...). Without ``model`` the gateway's default model answers
        (or ``NEXUS_MODEL`` when set).
        """
        messages: list[Message] = []
        if system is not None:
            messages.append({"role": "system", "content": system})
        if isinstance(prompt, str):
            messages.append({"role": "user", "content": prompt})
        else:
            messages.extend(prompt)
        answer = await self.chat(messages, **options)
        try:
            content = answer["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"the model gateway sent an answer without a message: {exc}") from None
        return content if isinstance(content, str) else json.dumps(content)

    async def chat(self, messages: list[Message], **options: Any) -> dict[str, Any]:
        """One ``/v1/chat/completions`` call; returns the whole JSON answer."""
        payload: dict[str, Any] = {"messages": messages, **options}
        model = options.get("model") or self._model or os.environ.get("NEXUS_MODEL")
        if model:
            payload["model"] = model
        url = self.base_url + "/v1/chat/completions"
        answer = await asyncio.to_thread(self._post, url, payload)
        usage = answer.get("usage") if isinstance(answer, dict) else None
        ctx = current_context()
        if ctx is not None and isinstance(usage, dict):
            total = usage.get("total_tokens")
            if isinstance(total, int):
                ctx.tokens_used += total
        return answer

    def _post(self, url: str, payload: dict[str, Any]) -> dict[str, Any]:
        import urllib.error
        import urllib.request

        token = self._token or workload_token() or os.environ.get("NEXUS_WORKLOAD_TOKEN", "")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        ctx = current_context()
        if ctx is not None:
            headers["X-Nexus-Request-Id"] = ctx.request_id
            if "traceparent" in ctx.headers:  # the audit row names the call's trace
                headers["traceparent"] = ctx.headers["traceparent"]
        from nexus.ai.agents import _otel

        _otel.inject(headers)  # the current OpenTelemetry span, when the agent uses it
        req = urllib.request.Request(
            url, data=json.dumps(payload).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                data: dict[str, Any] = json.loads(resp.read())
                return data
        except urllib.error.HTTPError as exc:
            raise _gateway_error(exc.code, exc.read()) from None
        except urllib.error.URLError as exc:
            raise LLMError(f"the model gateway at {url} is unreachable: {exc.reason}") from None
        except ValueError as exc:
            raise LLMError(f"the model gateway sent invalid JSON: {exc}") from None


def _gateway_error(status: int, body: bytes) -> LLMError:
    code = message = None
    try:
        err = json.loads(body).get("error")
        if isinstance(err, dict):
            code, message = err.get("code"), err.get("message")
        elif isinstance(err, str):
            message = err
    except (ValueError, AttributeError):
        pass
    text = message or body.decode("utf-8", "replace")[:200] or "no details"
    return LLMError(
        f"the model gateway answered {status}: {text}",
        status=status,
        code=str(code) if code is not None else None,
    )
