"""The runtime server: the AgentCore Runtime contract over HTTP/1.1.

``GET /ping`` answers ``{"status": "Healthy"|"HealthyBusy", "time_of_last_update": N}``
(busy while it processes ``max_concurrency`` requests, or any request when it has no
limit; the time is when the status last changed). The platform sends a full replica
no more calls (``NEXUS_MAX_CONCURRENCY``, from ``deploy --max-concurrency``).
``POST /invocations`` takes ``{"input": ..., "context": {...}}`` or any other JSON
payload (then the whole body is the input) and answers
``{"output": ..., "metadata": {"tokens_used": N}}``.

A streaming agent is answered with ``Content-Type: text/event-stream`` in
chunked transfer encoding (close-delimited for HTTP/1.0 clients): one
``data: <json>\\n\\n`` frame per chunk (``{"text": ...}`` for text, the chunk
itself otherwise), then ``data: {"done": true}``. An exception while
streaming ends the stream with ``data: {"error": {...}}`` instead.

When the platform started the replica it presents a per-replica secret
(``X-Nexus-Replica-Secret``) on every call; without it, or with another one,
the server answers 401 and runs nothing, so the replica's port is of no use
to anyone but the platform.

Connections are kept alive. Each answered invocation writes one JSON log
line with its latency; pings are not logged.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import time
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from nexus.ai.agents import _http, _otel
from nexus.ai.agents._context import _current, build_context
from nexus.ai.agents._handler import Handler, is_stream
from nexus.ai.agents._log import log

MAX_BODY = 10 * 2**20
SECRET_HEADER = "x-nexus-replica-secret"
STRANGER_HEADER = "x-nexus-refused"  # on the 401 to a call without this replica's secret
JSON = "application/json"
DONE_FRAME = b'data: {"done": true}\n\n'


@dataclass
class _Conn:
    busy: bool = False


class AgentServer:
    def __init__(
        self,
        handler: Handler,
        *,
        max_body: int = MAX_BODY,
        replica_secret: str | None = None,
        max_concurrency: int = 0,
    ) -> None:
        self.handler = handler
        self.full_at = max(1, max_concurrency)  # requests at once that make it HealthyBusy
        self.max_body = max_body
        # when set, only callers presenting it (the platform) get an answer
        self.replica_secret = replica_secret.encode() if replica_secret else None
        self.inflight = 0
        self.last_update = int(time.time())
        self.stopping = False
        self.conns: dict[asyncio.Task[Any], _Conn] = {}

    # ------------------------------------------------------------ lifecycle

    async def start(self, host: str, port: int) -> asyncio.Server:
        return await asyncio.start_server(self._on_connection, host, port, reuse_address=True)

    async def shutdown(self, grace: float) -> None:
        """Stop taking requests, let in-flight ones finish for up to ``grace`` seconds."""
        self.stopping = True
        idle = [t for t, c in self.conns.items() if not c.busy]
        busy = [t for t, c in self.conns.items() if c.busy]
        for task in idle:
            task.cancel()
        if busy:
            _, late = await asyncio.wait(busy, timeout=grace)
            for task in late:
                task.cancel()
        if self.conns:
            await asyncio.wait(list(self.conns), timeout=1.0)

    @property
    def busy(self) -> bool:
        return self.inflight >= self.full_at

    def _set_busy(self, delta: int) -> None:
        before = self.busy
        self.inflight += delta
        if self.busy != before:
            self.last_update = int(time.time())

    # ------------------------------------------------------------ connections

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        conn = _Conn()
        if task is not None:
            self.conns[task] = conn
        try:
            while not self.stopping:
                conn.busy = False
                req = await _http.read_request(reader, writer, self.max_body)
                if req is None:
                    break
                conn.busy = True
                if not await self._dispatch(req, writer) or self.stopping:
                    break
        except _http.HTTPError as exc:
            body = _error_body(exc.code, exc.message)
            writer.write(_http.head(exc.status, JSON, length=len(body), keep_alive=False) + body)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            if task is not None:
                self.conns.pop(task, None)
            writer.close()

    async def _dispatch(self, req: _http.Request, writer: asyncio.StreamWriter) -> bool:
        keep = req.keep_alive and not self.stopping
        if self.replica_secret is not None and not hmac.compare_digest(
            req.headers.get(SECRET_HEADER, "").encode("latin-1", "replace"), self.replica_secret
        ):
            body = _error_body("unauthorized", "only the platform may call this replica")
            # the header tells the emulator that this is not the replica it meant to call
            # (a dead one's address, reused by another container): it tries the next one
            refused = ((STRANGER_HEADER, "replica-secret"),)
            writer.write(_http.head(401, JSON, length=len(body), keep_alive=keep, extra=refused))
            writer.write(body)
            return keep
        if req.path == "/ping":
            if req.method != "GET":
                return self._send_error(writer, 405, "method_not_allowed", "use GET /ping", keep)
            status = "HealthyBusy" if self.busy else "Healthy"
            body = b'{"status": "%s", "time_of_last_update": %d}' % (
                status.encode(),
                self.last_update,
            )
            writer.write(_http.head(200, JSON, length=len(body), keep_alive=keep) + body)
            return keep
        if req.path == "/invocations":
            if req.method != "POST":
                return self._send_error(
                    writer, 405, "method_not_allowed", "use POST /invocations", keep
                )
            return await self._invoke(req, writer, keep)
        return self._send_error(writer, 404, "not_found", f"no route {req.method} {req.path}", keep)

    def _send_error(
        self, writer: asyncio.StreamWriter, status: int, code: str, message: str, keep: bool
    ) -> bool:
        body = _error_body(code, message)
        writer.write(_http.head(status, JSON, length=len(body), keep_alive=keep) + body)
        return keep

    # ------------------------------------------------------------ invocations

    async def _invoke(self, req: _http.Request, writer: asyncio.StreamWriter, keep: bool) -> bool:
        started = time.perf_counter()
        headers = req.headers
        request_id = (
            headers.get("x-nexus-request-id")
            or headers.get("x-amzn-bedrock-agentcore-runtime-request-id")
            or os.urandom(16).hex()
        )
        payload, problem = _parse_payload(req.body)
        if problem is not None:
            self._send_error(writer, 400, "bad_request", problem, keep)
            _log_request(req, request_id, None, 400, started)
            return keep
        if isinstance(payload, dict) and "input" in payload:
            input_value = payload["input"]
            ctx_dict = payload.get("context") or {}
            if not isinstance(ctx_dict, dict):
                self._send_error(writer, 400, "bad_request", "context must be an object", keep)
                _log_request(req, request_id, None, 400, started)
                return keep
        else:
            input_value, ctx_dict = payload, {}
        ctx = build_context(request_id, headers, ctx_dict)
        extra = (("X-Nexus-Request-Id", request_id),)
        token = _current.set(ctx)
        leave = _otel.enter(headers.get("traceparent"))
        self._set_busy(1)
        try:
            try:
                result = await self.handler(input_value, ctx)
            except Exception as exc:
                return self._agent_failed(writer, req, ctx, exc, started, keep, extra)
            if is_stream(result):
                keep = keep and req.version == "HTTP/1.1"
                await self._stream(writer, result, ctx, keep, extra)
                _log_request(req, request_id, ctx.session_id, 200, started, stream=True)
                return keep
            try:
                body = json.dumps(
                    {"output": result, "metadata": {"tokens_used": ctx.tokens_used}},
                    ensure_ascii=False,
                ).encode()
            except (TypeError, ValueError) as exc:
                bad = TypeError(f"process returned a value that is not JSON-serializable: {exc}")
                return self._agent_failed(writer, req, ctx, bad, started, keep, extra)
            writer.write(_http.head(200, JSON, length=len(body), keep_alive=keep, extra=extra))
            writer.write(body)
            if len(body) > 65536:
                await writer.drain()
            _log_request(req, request_id, ctx.session_id, 200, started)
            return keep
        finally:
            self._set_busy(-1)
            leave()
            _current.reset(token)

    def _agent_failed(
        self,
        writer: asyncio.StreamWriter,
        req: _http.Request,
        ctx: Any,
        exc: BaseException,
        started: float,
        keep: bool,
        extra: tuple[tuple[str, str], ...],
    ) -> bool:
        body = json.dumps({"error": _agent_error(exc)}, ensure_ascii=False).encode()
        writer.write(_http.head(500, JSON, length=len(body), keep_alive=keep, extra=extra) + body)
        _log_request(req, ctx.request_id, ctx.session_id, 500, started, exc=exc)
        return keep

    async def _stream(
        self,
        writer: asyncio.StreamWriter,
        chunks: AsyncIterator[Any],
        ctx: Any,
        keep: bool,
        extra: tuple[tuple[str, str], ...],
    ) -> None:
        chunked = keep
        extra = (*extra, ("Cache-Control", "no-cache"))
        writer.write(
            _http.head(200, "text/event-stream", chunked=chunked, keep_alive=keep, extra=extra)
        )

        def frame(data: bytes) -> bytes:
            return _http.chunk(data) if chunked else data

        try:
            try:
                async for item in chunks:
                    data = {"text": item} if isinstance(item, str) else item
                    if isinstance(item, bytes):
                        data = {"text": item.decode("utf-8", "replace")}
                    text = json.dumps(data, ensure_ascii=False)
                    writer.write(frame(b"data: " + text.encode() + b"\n\n"))
                    await writer.drain()
                writer.write(frame(DONE_FRAME))
            except (ConnectionError, asyncio.CancelledError):
                raise
            except Exception as exc:
                err = json.dumps({"error": _agent_error(exc)}, ensure_ascii=False)
                writer.write(frame(b"data: " + err.encode() + b"\n\n"))
                log(
                    "error",
                    "agent stream failed",
                    request_id=ctx.request_id,
                    traceback=_format_tb(exc),
                )
            if chunked:
                writer.write(_http.LAST_CHUNK)
            await writer.drain()
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()


def _parse_payload(body: bytes) -> tuple[Any, str | None]:
    if not body.strip():
        return None, "the request body is empty: send a JSON body"
    try:
        return json.loads(body), None
    except ValueError as exc:
        return None, f"the request body is not valid JSON: {exc}"


def _agent_error(exc: BaseException) -> dict[str, str]:
    # "agent_error" is also a code of the Nexus API: the emulator passes a
    # streamed one through (nexus.ai.client's AGENT_ERROR).
    return {"code": "agent_error", "type": type(exc).__name__, "message": str(exc)}


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def _format_tb(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)).rstrip()


def _log_request(
    req: _http.Request,
    request_id: str,
    session_id: str | None,
    status: int,
    started: float,
    *,
    stream: bool = False,
    exc: BaseException | None = None,
) -> None:
    latency_ms = round((time.perf_counter() - started) * 1000, 3)
    log(
        "error" if exc is not None else "info",
        f"{req.method} {req.path} {status}",
        request_id=request_id,
        session_id=session_id,
        status=status,
        latency_ms=latency_ms,
        stream=True if stream else None,
        error=f"{type(exc).__name__}: {exc}" if exc is not None else None,
        traceback=_format_tb(exc) if exc is not None else None,
    )
