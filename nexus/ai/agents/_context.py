"""The per-request context an agent sees as ``self.context``."""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Caller:
    """Who called, as the platform verified it before relaying the request.

    ``subject`` is the token's ``sub`` ("admin" for the local admin credential),
    ``kind`` one of ``admin``, ``caller``, ``workload``; ``claims`` holds the
    token's ``iss``, ``sub``, ``aud``, ``exp`` and, when set, ``agent``.
    """

    subject: str
    kind: str
    scopes: tuple[str, ...] = ()
    claims: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """Who is asking and within which session.

    ``context`` is the request's own ``context`` object (``{"user_id": "123"}``
    in ``{"input": ..., "context": {...}}``); ``headers`` holds the request
    headers with lower-case names. ``tokens_used`` counts the model tokens the
    request consumed through ``self.llm``. ``caller`` is the verified identity of
    whoever called through the platform (None when the platform passed none).
    ``task_id`` and ``attempt`` are set when the request runs a queued task:
    tasks are delivered at least once (a task running when the emulator stopped
    runs again with the next attempt), so an agent with side effects can key
    them on ``task_id``.
    """

    request_id: str
    session_id: str | None = None
    user_id: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    tokens_used: int = 0
    caller: Caller | None = None
    task_id: str | None = None  # set when the request runs a queued task
    attempt: int | None = None  # which run of that task this is: 1, then 2, … after a retry


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
        caller=_caller(headers.get("x-nexus-caller")),
        task_id=headers.get("x-nexus-task-id"),
        attempt=_attempt(headers.get("x-nexus-task-attempt")),
    )


def _attempt(raw: str | None) -> int | None:
    return int(raw) if raw is not None and raw.isdigit() else None


def _caller(raw: str | None) -> Caller | None:
    if not raw:
        return None
    try:
        data = json.loads(raw)
        scopes = tuple(str(s) for s in data.get("scopes") or ())
        claims = data.get("claims") or {}
        return Caller(str(data["subject"]), str(data.get("kind", "caller")), scopes, dict(claims))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _as_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)
