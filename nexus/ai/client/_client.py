"""``Client``: call agents hosted on Nexus (the local emulator or a remote API)."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from nexus.admin_credential import read_admin_token
from nexus.ai import sse
from nexus.ai.client._errors import APIError, from_error_object
from nexus.ai.client._transport import Transport

DEFAULT_TIMEOUT = 300.0


@dataclass
class StreamChunk:
    """One streamed piece: ``text`` for text chunks, ``data`` for the decoded frame."""

    text: str
    data: Any = None
    event: str | None = None


class Stream:
    """Iterate to receive chunks; the connection closes at the end (or on ``close()``)."""

    def __init__(self, conn: http.client.HTTPConnection, resp: http.client.HTTPResponse) -> None:
        self._conn = conn
        self._resp = resp
        self._status = resp.status

    def __iter__(self) -> Iterator[StreamChunk]:
        try:
            ctype = self._resp.getheader("Content-Type", "")
            if "text/event-stream" not in ctype:
                yield from self._whole_answer()
                return
            for event in sse.parse(iter(self._resp.readline, b"")):
                chunk = self._chunk(event)
                if chunk is None:
                    return
                yield chunk
        finally:
            self.close()

    def _chunk(self, event: sse.Event) -> StreamChunk | None:
        try:
            data: Any = json.loads(event.data)
        except ValueError:
            return StreamChunk(text=event.data, data=event.data, event=event.event)
        if isinstance(data, dict):
            err = data.get("error")
            if isinstance(err, dict) or event.event == "error":
                raise from_error_object(
                    self._status, err if isinstance(err, dict) else {"message": str(data)}
                )
            if data.get("done") is True:
                return None
            text = data.get("text")
            return StreamChunk(
                text=text if isinstance(text, str) else "", data=data, event=event.event
            )
        return StreamChunk(text=data if isinstance(data, str) else "", data=data, event=event.event)

    def _whole_answer(self) -> Iterator[StreamChunk]:
        """A server that answered with one JSON object: yield its output as one chunk."""
        body = json.loads(self._resp.read() or b"null")
        output = body.get("output") if isinstance(body, dict) else body
        yield StreamChunk(text=output if isinstance(output, str) else "", data=body)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Agents:
    """``client.agents``: run, stream and submit agents; follow submitted tasks."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def run(
        self,
        name: str,
        input: Any,
        context: dict[str, Any] | None = None,
        env: str | None = None,
        *,
        session_id: str | None = None,
        actor_id: str | None = None,
    ) -> dict[str, Any]:
        """Run an agent and wait: ``{"output": ..., "metadata": {...}}``.

        ``session_id`` continues a conversation (the agent's ``Context.session_id``
        and its memory's session); ``actor_id`` is who speaks (``Context.user_id``)."""
        answer = self._t.request_json(
            "POST",
            _path(f"/agents/{_quote(name)}/run", env),
            _body(input, context, session_id, actor_id),
        )
        if not isinstance(answer, dict):
            raise APIError(502, "failed", f"the API answered a run with {type(answer).__name__}")
        return answer

    def stream(
        self,
        name: str,
        input: Any,
        context: dict[str, Any] | None = None,
        env: str | None = None,
        *,
        session_id: str | None = None,
        actor_id: str | None = None,
    ) -> Stream:
        """Run an agent and receive its answer chunk by chunk (``chunk.text``)."""
        conn, resp = self._t.open_stream(
            "POST",
            _path(f"/v1/agents/{_quote(name)}/stream", env),
            _body(input, context, session_id, actor_id),
        )
        return Stream(conn, resp)

    def submit(
        self,
        name: str,
        input: Any,
        context: dict[str, Any] | None = None,
        env: str | None = None,
        webhook: str | None = None,
        *,
        session_id: str | None = None,
        actor_id: str | None = None,
    ) -> dict[str, Any]:
        """Queue a run: ``{"task_id": "task_...", "status": "pending"}``.

        ``webhook``: a URL that receives the finished task as a signed POST.
        """
        body = _body(input, context, session_id, actor_id)
        if webhook is not None:
            body["webhook"] = webhook
        return self._dict(
            self._t.request_json("POST", _path(f"/agents/{_quote(name)}/tasks", env), body)
        )

    def status(self, task_id: str) -> dict[str, Any]:
        """A task: ``status`` (pending, running, succeeded, failed, cancelled), ``progress``
        (0-100), ``attempt``, ``result`` or ``error``."""
        return self._dict(self._t.request_json("GET", f"/v1/tasks/{_quote(task_id)}"))

    def cancel(self, task_id: str) -> dict[str, Any]:
        return self._dict(self._t.request_json("POST", f"/v1/tasks/{_quote(task_id)}/cancel"))

    @staticmethod
    def _dict(answer: Any) -> dict[str, Any]:
        if not isinstance(answer, dict):
            raise APIError(502, "failed", f"the API answered with {type(answer).__name__}")
        return answer


class Client:
    """The Nexus API client.

    ``base_url``: the argument, else ``NEXUS_URL``, else the local emulator at
    ``http://127.0.0.1:{NEXUS_EMULATOR_PORT or 8470}``. ``token``: the argument,
    else ``NEXUS_TOKEN``, else the emulator's admin token (``$NEXUS_HOME/token``, else the
    OS keyring: ``nexus.admin_credential``).
    """

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        from nexus.settings import Settings

        settings = Settings.load()
        self.base_url = base_url or settings.url or f"http://127.0.0.1:{settings.emulator_port}"
        self.token = token or settings.token or read_admin_token(settings.home)
        self._transport = Transport(self.base_url, self.token, timeout)
        self.agents = Agents(self._transport)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _quote(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def _path(path: str, env: str | None) -> str:
    return f"{path}?{urllib.parse.urlencode({'env': env})}" if env else path


def _body(
    input: Any,
    context: dict[str, Any] | None,
    session_id: str | None = None,
    actor_id: str | None = None,
) -> dict[str, Any]:
    """The run body; a session and an actor travel as the context's ``session_id`` and
    ``user_id`` (the platform passes the session on as the runtime contract's header)."""
    ctx = dict(context or {})
    if session_id is not None:
        ctx["session_id"] = session_id
    if actor_id is not None:
        ctx["user_id"] = actor_id
    return {"input": input, "context": ctx}
