"""The per-request context an agent sees as ``self.context``."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Context:
    """Who is asking and within which session.

    ``context`` is the request's own ``context`` object (``{"user_id": "123"}``
    in ``{"input": ..., "context": {...}}``); ``headers`` holds the request
    headers with lower-case names. ``tokens_used`` counts the model tokens the
    request consumed through ``self.llm``.
    """

    request_id: str
    session_id: str | None = None
    user_id: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    tokens_used: int = 0


_current: ContextVar[Context | None] = ContextVar("nexus_agent_context", default=None)


def current_context() -> Context | None:
    """The context of the request being processed, or None outside a request."""
    return _current.get()


def build_context(request_id: str, headers: dict[str, str], context: dict[str, Any]) -> Context:
    """Fill a Context from the runtime contract's headers and the request's context."""
    session = (
        headers.get("x-nexus-session-id")
        or headers.get("x-amzn-bedrock-agentcore-runtime-session-id")
        or _as_str(context.get("session_id"))
    )
    user = _as_str(context.get("user_id")) or headers.get("x-nexus-user-id")
    return Context(
        request_id=request_id,
        session_id=session,
        user_id=user,
        context=context,
        headers=headers,
    )


def _as_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)
