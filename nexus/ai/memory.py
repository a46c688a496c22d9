"""Agent memory as ``self.memory`` (async), served by the platform API.

Short-term: ``await self.memory.add_turns([("user", "hi"), ("assistant", "hello")])``
and ``await self.memory.last_turns(5)`` work on the current request's session
and actor (``Context.session_id``; the actor is ``Context.user_id``, else the
verified caller's subject, else ``"anonymous"``; a caller that is not an admin
cannot name another actor than itself, the platform refuses its call);
``session=`` names another session of that actor. The platform binds each memory
call to the actor of the request being served (its request id goes with the call):
``actor=`` naming another actor, or a ``/users/<other>/…`` namespace, is refused
with 403, and searches and listings leave other actors' records out; outside a
request only the agent's own namespaces (outside ``/users/``) are reached.
Long-term: ``put``/``get``/``delete`` records in namespaces
(``/users/{actor}/preferences``), list them with ``records``, and ``search`` them
by text (FTS5, BM25), by meaning (vectors) or both; ``branch`` continues a session
differently from an earlier event.
Every call goes to ``/v1/platform/memory/…`` with the replica's workload token,
which reaches this agent's memory only.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Iterable
from typing import Any

from nexus.ai.agents._context import current_context
from nexus.ai.agents._platform import PlatformCallError, call_platform

Turn = tuple[str, str] | dict[str, Any]


class AgentMemoryError(PlatformCallError):
    """The platform refused or could not serve a memory call."""


class Memory:
    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout

    # ------------------------------------------------------------ short-term

    async def add_turns(
        self, turns: Iterable[Turn], *, session: str | None = None, actor: str | None = None
    ) -> list[dict[str, Any]]:
        """Append turns (``(role, text)`` or ``{"role", "text"}``) to a session."""
        events = [t if isinstance(t, dict) else {"role": t[0], "text": t[1]} for t in turns]
        return await self.add_events(events, session=session, actor=actor)

    async def add_events(
        self,
        events: list[dict[str, Any]],
        *,
        session: str | None = None,
        actor: str | None = None,
    ) -> list[dict[str, Any]]:
        """Append events: turns, or ``{"payload": <any JSON>}``."""
        path = f"/sessions/{quoted(self._session(session))}/events"
        answer: list[dict[str, Any]] = await self._call(
            "POST", path, {"actor": self._actor(actor), "events": events}
        )
        return answer

    async def last_turns(
        self, k: int = 10, *, session: str | None = None, actor: str | None = None
    ) -> list[dict[str, Any]]:
        """The newest ``k`` turns of a session, oldest first (``[]`` for a new session)."""
        path = f"/sessions/{quoted(self._session(session))}/events"
        query = {"actor": self._actor(actor), "last": k, "turns": "true"}
        try:
            answer: list[dict[str, Any]] = await self._call("GET", path, query=query)
        except AgentMemoryError as exc:
            if exc.status == 404:
                return []
            raise
        return answer

    async def events(
        self, *, session: str | None = None, actor: str | None = None
    ) -> list[dict[str, Any]]:
        """Every event of a session, oldest first."""
        path = f"/sessions/{quoted(self._session(session))}/events"
        answer: list[dict[str, Any]] = await self._call(
            "GET", path, query={"actor": self._actor(actor)}
        )
        return answer

    async def sessions(self, *, actor: str | None = None) -> list[dict[str, Any]]:
        answer: list[dict[str, Any]] = await self._call(
            "GET", "/sessions", query={"actor": self._actor(actor)}
        )
        return answer

    async def branch(
        self,
        from_event: int,
        to_session: str,
        *,
        session: str | None = None,
        actor: str | None = None,
    ) -> list[dict[str, Any]]:
        """A new session ``to_session`` holding this session's events up to event
        ``from_event`` (included, an ``id`` from ``events()``): the conversation
        continued differently from there. Answers the new session's events."""
        path = f"/sessions/{quoted(self._session(session))}/branch"
        body = {"actor": self._actor(actor), "from_event": from_event, "to_session": to_session}
        answer: list[dict[str, Any]] = await self._call("POST", path, body)
        return answer

    async def delete_session(self, *, session: str | None = None, actor: str | None = None) -> int:
        path = f"/sessions/{quoted(self._session(session))}"
        answer = await self._call("DELETE", path, query={"actor": self._actor(actor)})
        return int(answer["deleted_events"])

    # ------------------------------------------------------------ long-term

    async def put(
        self,
        namespace: str,
        text: str,
        *,
        key: str | None = None,
        data: Any = None,
        ttl_seconds: float | None = None,
    ) -> dict[str, Any]:
        """Write a record (the same namespace and key replace it); its ``id`` reads it back."""
        body = {"namespace": namespace, "text": text, "key": key, "data": data}
        body["ttl_seconds"] = ttl_seconds
        body["actor"] = self._actor(None)
        answer: dict[str, Any] = await self._call("PUT", "/records", body)
        return answer

    async def get(self, record_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = await self._call("GET", f"/records/{quoted(record_id)}")
        return answer

    async def delete(self, record_id: str) -> None:
        await self._call("DELETE", f"/records/{quoted(record_id)}")

    async def records(
        self, namespace: str | None = None, *, key: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Live records, newest first: all of them, or those in ``namespace`` and the
        namespaces below it; ``key`` keeps only the records with that key."""
        query: dict[str, Any] = {"limit": limit}
        if namespace is not None:
            query["namespace"] = namespace
        if key is not None:
            query["key"] = key
        answer: list[dict[str, Any]] = await self._call("GET", "/records", query=query)
        return answer

    async def search(
        self,
        query: str,
        *,
        namespace: str | None = None,
        top_k: int = 5,
        min_score: float | None = None,
        mode: str | None = None,
    ) -> list[dict[str, Any]]:
        """Records ranked best first: ``[{"record", "score", "text_score", "vector_score"}]``.
        ``mode``: ``text`` (words, BM25), ``vector`` (meaning: the agent needs vectors on,
        ``nexus ai agent memory settings NAME --vectors on``) or ``hybrid``; by default
        hybrid when vectors are on, else text."""
        body = {"query": query, "namespace": namespace, "top_k": top_k, "min_score": min_score}
        body["actor"] = self._actor(None)
        if mode is not None:
            body["mode"] = mode
        answer: list[dict[str, Any]] = await self._call("POST", "/search", body)
        return answer

    # ------------------------------------------------------------ plumbing

    def _session(self, session: str | None) -> str:
        if session:
            return session
        ctx = current_context()
        if ctx is None or not ctx.session_id:
            raise AgentMemoryError(
                "no session: this request has none; pass session=",
                code="usage",
            )
        return ctx.session_id

    def _actor(self, actor: str | None) -> str:
        return actor or current_actor()

    async def _call(
        self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None
    ) -> Any:
        return await asyncio.to_thread(memory_call, method, path, body, query, self.timeout)


def current_actor() -> str:
    """The request's actor: ``Context.user_id``, else the verified caller's subject,
    else ``"anonymous"`` (also outside a request)."""
    ctx = current_context()
    if ctx is not None and ctx.user_id:
        return ctx.user_id
    if ctx is not None and ctx.caller is not None and ctx.caller.subject:
        return ctx.caller.subject
    return "anonymous"


def memory_call(
    method: str,
    path: str,
    body: Any = None,
    query: dict[str, Any] | None = None,
    timeout: float = 30.0,
) -> Any:
    """One call to ``/v1/platform/memory`` + ``path`` with the workload token (blocking),
    naming the request being served (``X-Nexus-Request-Id``): the platform binds the call
    to that request's actor."""
    full = "/v1/platform/memory" + path
    if query:
        full += "?" + urllib.parse.urlencode(query)
    ctx = current_context()
    serving = {"X-Nexus-Request-Id": ctx.request_id} if ctx is not None else None
    return call_platform(method, full, body, timeout, AgentMemoryError, "memory calls", serving)


def quoted(name: str) -> str:
    return urllib.parse.quote(name, safe="")
