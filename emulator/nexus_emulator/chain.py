"""The invocation chain: the one way a call reaches an agent, for run, stream and task.

  resolve  the agent and its environment, from memory (routing.py)
  pick     the least busy healthy replica of the live pool (pools.py) below its
           max_concurrency; when every one is full, the call waits for a free one
           (woken when a call ends), as it waits while replicas start
  headers  the runtime contract: request and session ids (AgentCore's and X-Nexus-*),
           the user, the W3C traceparent of the call's client span
  span     a server span for the call, a client span for the replica (tracing.py)
  relay    POST /invocations on a keep-alive connection (upstream.py); a refused
           connection marks the replica unhealthy and goes to the next healthy one;
           so does, once per call, a connection reset before any answer (a replica
           killed a moment ago): a call that crashes its replica takes two at most;
           a session's replica that is gone is replaced by a fresh one (sessions.py)
  decode   JSON or text/event-stream into one shape (answers.py)
  record   metrics and the trace, exactly once per call: ``Chain._record`` is the
           only caller of ``Metrics.record`` and of the tracer for the data plane

``run`` answers a whole result, ``stream`` relays event-stream frames, ``task``
runs a queued call and reports its progress. Failures before the span starts
(unknown agent, no healthy replica) raise an ``ApiError`` and record nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from nexus_emulator import answers, errors
from nexus_emulator.metrics import Metrics
from nexus_emulator.pools import LiveReplica, Pool, Pools
from nexus_emulator.routing import Routing
from nexus_emulator.serving import Serving, actor_of
from nexus_emulator.tracing import Span, Tracer
from nexus_emulator.upstream import Answer, Refused, Reset, Upstream, UpstreamError

STREAM_ACCEPT = "text/event-stream, application/json"
WAIT_STEP = 0.05  # seconds between looks for a healthy replica while waiting for one
RETRY_AFTER = 2  # seconds a caller is told to wait when no replica can take its call


@dataclass
class Call:
    """One call on its way: where it goes, what it carries, its spans."""

    name: str
    env: str
    pool: Pool
    replica: LiveReplica
    body: bytes
    request_id: str
    headers: dict[str, str]
    span: Span
    invoke: Span  # the call to the replica, child of ``span``
    started: float = field(default_factory=time.perf_counter)
    claimed: bool = True  # ``replica``'s slot is counted, not yet relayed (see Chain.start)
    recorded: bool = False
    spent: Counter[str] | None = None  # tokens per model at the gateway (None: none)
    taken: bool = False  # ``spent`` was taken from the gateway (once per call)
    serving: bool = False  # open in Chain.serving (memory's actor binding), closed once


@dataclass(frozen=True)
class Result:
    """A run's answer and where it came from."""

    output: Any
    metadata: dict[str, Any]
    replica: LiveReplica
    seconds: float


def header_value(value: Any, what: str) -> str:
    text = str(value)
    if "\r" in text or "\n" in text:
        raise errors.usage(f"{what} must not contain line breaks")
    return text


def agent_error(name: str, answer: Any, status: int) -> errors.ApiError:
    """The error for an agent that answered with an error status or an error frame."""
    err = answer.get("error", {}) if isinstance(answer, dict) else {}
    return errors.failed(
        f"the agent failed: {err.get('type', 'error')}: {err.get('message', status)}",
        hint=f"nexus ai agent logs {name} --level error  # shows the traceback",
    )


class Chain:
    def __init__(
        self,
        routing: Routing,
        pools: Pools,
        upstream: Upstream,
        metrics: Metrics,
        tracer: Tracer,
        spent: Callable[[str, str], Counter[str] | None] | None = None,
        opened: Callable[[str, str], None] | None = None,
        serving: Serving | None = None,
    ) -> None:
        self.routing = routing
        self.pools = pools
        self.upstream = upstream
        self.metrics = metrics
        self.tracer = tracer
        self.spent = spent  # the gateway's tokens of an invocation: (agent, request id)
        self.opened = opened  # tells the gateway an invocation started
        self.serving = serving  # the calls being served and their actors (memory's binding)
        self.replica_wait = 30.0  # seconds a call waits for a healthy replica (config)

    # ------------------------------------------------------------ resolve, pick

    def resolve(self, name: str, env: str | None) -> tuple[str, str]:
        self.routing.known(name)
        return name, self.routing.env(name, env)

    def pick(self, name: str, env: str) -> tuple[Pool, LiveReplica] | None:
        pool = self.pools.get(name, env)
        replica = pool.pick() if pool else None
        return (pool, replica) if pool is not None and replica is not None else None

    async def pick_or_wait(self, name: str, env: str) -> tuple[Pool, LiveReplica]:
        """A replica that takes the call; while there is none (replicas starting after a
        restart, being replaced, or all at their max_concurrency), wait for one up to
        ``replica_wait`` seconds, then 503 with Retry-After. Waiting calls are counted
        (``Pools.waiting``, ``queued`` in status)."""
        picked = self.pick(name, env)
        if picked is not None:
            return picked
        key = (name, env)
        self.pools.waiting[key] = self.pools.waiting.get(key, 0) + 1
        try:
            return await self._wait(name, env, time.monotonic() + self.replica_wait)
        finally:
            self.pools.waiting[key] -= 1

    async def _wait(self, name: str, env: str, deadline: float) -> tuple[Pool, LiveReplica]:
        full = False
        while (left := deadline - time.monotonic()) > 0:
            pool = self.pools.get(name, env)
            if pool is None:
                await asyncio.sleep(min(WAIT_STEP, left))
            else:  # woken as soon as a call ends; the step also sees health changes
                full = any(r.state == "healthy" for r in pool.replicas)
                pool.freed.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(WAIT_STEP, left)):
                        await pool.freed.wait()
            picked = self.pick(name, env)
            if picked is not None:
                return picked
        why = (
            f"every replica of {name} in {env} is busy"
            if full
            else (f"{name} has no healthy replica in {env}")
        )
        raise errors.unavailable(
            f"{why} (waited {self.replica_wait:g} s)",
            hint=f"nexus ai agent status {name}  # shows the replicas and their health"
            + ("; --max-concurrency or --replicas raise what it takes" if full else ""),
            retry_after=RETRY_AFTER,
        )

    # ------------------------------------------------------------ headers, span

    def start(
        self,
        operation: str,
        name: str,
        env: str,
        picked: tuple[Pool, LiveReplica],
        body: bytes,
        context: dict[str, Any],
        request_id: str,
        *,
        session: str | None = None,
        traceparent: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> Call:
        """The runtime-contract headers and the spans of a call about to be relayed."""
        session = header_value(context.get("session_id") or session or request_id, "session_id")
        headers = {
            "X-Nexus-Request-Id": request_id,
            "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id": request_id,
            "X-Nexus-Session-Id": session,
            "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": session,
            **(extra or {}),
        }
        if context.get("user_id") is not None:
            headers["X-Nexus-User-Id"] = header_value(context["user_id"], "user_id")
        span = self.tracer.root(f"{operation} {name}", name, env, traceparent)
        invoke = span.child("POST /invocations")
        headers["traceparent"] = invoke.traceparent()
        pool, replica = picked
        if self.opened is not None:
            self.opened(name, request_id)
        pool.claim(replica)  # counted from here, so no other call takes its slot meanwhile
        call = Call(name, env, pool, replica, body, request_id, headers, span, invoke)
        if self.serving is not None:
            self.serving.open(name, request_id, actor_of(context, headers), session)
            call.serving = True
        return call

    def _served(self, call: Call) -> None:
        """The call is no longer served: its request id binds no memory call any more."""
        if call.serving and self.serving is not None:
            call.serving = False
            self.serving.close(call.name, call.request_id)

    def abandon(self, call: Call) -> None:
        """A call that will not be relayed after all (its client left first): free its slot."""
        self._served(call)
        if call.claimed:
            call.claimed = False
            call.pool.release(call.replica)

    # ------------------------------------------------------------ relay

    @asynccontextmanager
    async def _relay(self, call: Call, accept: str = "application/json") -> AsyncIterator[Answer]:
        """The replica's answer; a refused connection goes to the next healthy replica."""
        resent = False
        while True:
            replica = self._claim(call)
            try:
                async with self.upstream.post(
                    replica.handle.endpoint, call.body, call.headers, accept=accept
                ) as answer:
                    yield answer
                return
            except (Refused, Reset) as exc:
                resent = self._fail_over(call, exc, resent)
            finally:
                call.pool.release(replica)

    async def _fetch(self, call: Call) -> tuple[int, str, bytes]:
        """``_relay`` for a whole answer (run): status, content type and body."""
        resent = False
        while True:
            replica = self._claim(call)
            try:
                return await self.upstream.fetch(replica.handle.endpoint, call.body, call.headers)
            except (Refused, Reset) as exc:
                resent = self._fail_over(call, exc, resent)
            finally:
                call.pool.release(replica)

    @staticmethod
    def _claim(call: Call) -> LiveReplica:
        """The replica the call goes to now, its slot counted."""
        if call.claimed:
            call.claimed = False  # counted by Chain.start
        else:
            call.pool.claim(call.replica)
        return call.replica

    def _fail_over(self, call: Call, exc: Refused | Reset, resent: bool) -> bool:
        """After a refused connection (or once, a reset one) the call goes to the next
        healthy replica; returns whether a reset was resent."""
        if isinstance(exc, Reset):
            if resent:
                raise exc
            resent = True
        call.replica.state = "unhealthy"  # the health monitor replaces it if it is gone
        other = call.pool.pick()
        if other is None:
            raise errors.unavailable(
                f"{call.name} has no replica in {call.env} that accepts connections",
                hint=f"nexus ai agent status {call.name}  # replicas are being replaced",
                retry_after=RETRY_AFTER,
            ) from None
        call.replica = other
        return resent

    def _broken(self, call: Call, exc: UpstreamError) -> errors.ApiError:
        return errors.failed(
            f"replica {call.replica.handle.id[:12]} did not answer: {exc}",
            hint=f"nexus ai agent status {call.name}",
            status=502,
        )

    # ------------------------------------------------------------ the three shapes

    async def run(self, call: Call) -> Result:
        """The whole answer; an ``ApiError`` (recorded) when the call failed."""
        try:
            status, content_type, body = await self._fetch(call)
        except UpstreamError as exc:
            raise self._failed(call, self._broken(call, exc)) from None
        except errors.ApiError as exc:
            raise self._failed(call, exc) from None
        seconds = time.perf_counter() - call.started
        answer = answers.decode(content_type, body)
        if status >= 400 or (answers.SSE in content_type and "error" in answer):
            raise self._failed(call, agent_error(call.name, answer, status), status)
        output, metadata = answers.output_and_metadata(answer)
        tokens = self.tokens(call, answers.tokens_used(metadata))
        metadata = {**metadata, "tokens_used": tokens}
        self._record(call, "ok", status, seconds=seconds, tokens=tokens)
        return Result(output, metadata, call.replica, seconds)

    async def stream(self, call: Call) -> AsyncIterator[bytes]:
        """Event-stream frames: the replica's own, or its single answer as one frame."""
        outcome, status, error = "error", None, None
        try:
            async with self._relay(call, STREAM_ACCEPT) as up:
                status = up.status
                if answers.SSE in up.content_type:
                    decoder, outcome = answers.SseDecoder(), "ok"
                    async for chunk in up.chunks():
                        if any(answers.is_error(f) for f in decoder.feed(chunk)):
                            outcome = "error"
                        yield chunk
                    return
                answer = answers.decode(up.content_type, await up.read())
            if status >= 400:
                failure = agent_error(call.name, answer, status)
                error = failure.message
                yield answers.frame(failure.body())
                return
            output, _ = answers.output_and_metadata(answer)
            yield answers.frame({"text": output} if isinstance(output, str) else output)
            yield answers.DONE
            outcome = "ok"
        except UpstreamError as exc:  # before or after frames were relayed: a failed call
            outcome, error = "error", f"the replica stopped answering: {exc}"
            yield answers.frame(errors.failed(error).body())
        except errors.ApiError as exc:
            outcome, error = "error", exc.message
            yield answers.frame(exc.body())
        finally:
            seconds = time.perf_counter() - call.started if outcome == "ok" else None
            self._record(call, outcome, status, seconds=seconds, error=error)

    async def task(
        self, call: Call, on_progress: Callable[[int], None]
    ) -> tuple[Result | None, str | None]:
        """A queued call: ``(result, None)`` or ``(None, error message)``."""
        try:
            async with self._relay(call, STREAM_ACCEPT) as up:
                status = up.status
                if answers.SSE in up.content_type:
                    decoder, frames = answers.SseDecoder(), []
                    async for chunk in up.chunks():
                        for data in decoder.feed(chunk):
                            frames.append(data)
                            percent = answers.progress(data)
                            if percent is not None:
                                on_progress(percent)
                    answer: Any = answers.fold(frames + decoder.end())
                else:
                    answer = answers.decode(up.content_type, await up.read())
                    if status >= 400 and not answers.is_error(answer):
                        answer = {"error": {"message": f"HTTP {status}"}}
        except (UpstreamError, errors.ApiError) as exc:
            message = exc.message if isinstance(exc, errors.ApiError) else str(exc)
            answer, status = (
                {"error": {"message": f"the replica stopped answering: {message}"}},
                None,
            )
        if answers.is_error(answer):
            err = answer["error"]
            message = f"{err.get('type', 'error')}: {err.get('message', '')}".strip(": ")
            self._record(call, "error", status, error=message)
            return None, message
        output, metadata = answers.output_and_metadata(answer)
        seconds = time.perf_counter() - call.started
        tokens = self.tokens(call, answers.tokens_used(metadata))
        self._record(call, "ok", status, seconds=seconds, tokens=tokens)
        return Result(output, {**metadata, "tokens_used": tokens}, call.replica, seconds), None

    def metadata(self, call: Call, result: Result) -> dict[str, Any]:
        """An answer's metadata, as run and task results carry it: the agent's own, its
        tokens (the gateway's count), which version, environment and replica answered."""
        return {
            "tokens_used": 0,
            **result.metadata,
            "version": self.routing.label(call.name, call.pool.revision),
            "revision": call.pool.revision,
            "env": call.env,
            "replica": result.replica.handle.id[:12],
            "request_id": call.request_id,
            "latency_ms": round(result.seconds * 1000, 3),
        }

    # ------------------------------------------------------------ record

    def tokens(self, call: Call, reported: int = 0) -> int:
        """The call's tokens: the gateway's count for its request id (taken once), else
        what the replica reported (a model it reached without the gateway)."""
        if not call.taken:
            call.taken = True
            call.spent = self.spent(call.name, call.request_id) if self.spent else None
        return (sum(call.spent.values()) if call.spent else 0) or reported

    def _failed(
        self, call: Call, exc: errors.ApiError, status: int | None = None
    ) -> errors.ApiError:
        self._record(call, "error", status, error=exc.message)
        return exc

    def _record(
        self,
        call: Call,
        outcome: str,
        http_status: int | None,
        *,
        seconds: float | None = None,
        tokens: int = 0,
        error: str | None = None,
    ) -> None:
        """Metrics and the trace of a call, once. Latency counts answered calls only."""
        if call.recorded:
            return
        call.recorded = True
        self._served(call)
        call.replica.observe(outcome != "ok" and (http_status is None or http_status >= 500))
        tokens = self.tokens(call, tokens)
        version = self.routing.label(call.name, call.pool.revision) or str(call.pool.revision)
        models = call.spent or ({"unreported": tokens} if tokens else {})
        self.metrics.record(call.name, call.env, outcome, seconds, tokens, version, models)
        replica = call.replica.handle.id[:12]
        self.tracer.finish(call.invoke, outcome, replica=replica, http_status=http_status)
        self.tracer.finish(
            call.span,
            outcome,
            revision=call.pool.revision,
            request_id=call.request_id,
            error=error,
        )
