"""Quotas and audit per agent and environment, in the emulator's SQLite state.

- requests/min and tokens/min are continuous token buckets: each holds up to its
  per-minute figure and refills at that figure per 60 s; a request takes one from
  the requests bucket (429 when less than one is left), the tokens a call used are
  taken from the tokens bucket once it is answered (429 while it is empty or below);
- a budget of tokens per UTC day and per UTC month (403 ``quota_exceeded`` once
  spent);
- a cap on calls in flight at once (429, in memory: a restart ends every call).

Buckets and budgets live in ``gateway_counters`` and survive a restart. Every call,
admitted or refused, leaves one row in ``gateway_audit``, written in the same
transaction as the counters it moved, so a crash loses neither alone. Prompt and
completion text are kept only for agents whose quota says ``log_content``.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from nexus_api.gateway import Quota
from nexus_emulator.gateway.errors import GatewayError


@dataclass
class Call:
    """An admitted call, until ``Quotas.finish`` records it."""

    agent: str
    env: str
    audit: dict[str, Any]
    started: float = field(default_factory=time.perf_counter)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Counters:
    requests_level: float
    tokens_level: float
    at: float
    day: str
    day_tokens: int
    month: str
    month_tokens: int


class Quotas:
    def __init__(self, conn: sqlite3.Connection, clock: Callable[[], float] = time.time) -> None:
        self.conn = conn
        self.clock = clock
        self._quotas: dict[tuple[str, str], Quota] = {}
        self._running: Counter[tuple[str, str]] = Counter()

    # ------------------------------------------------------------ settings

    def get(self, agent: str, env: str) -> Quota:
        key = (agent, env)
        if key not in self._quotas:
            row = self.conn.execute(
                "SELECT quota FROM gateway_quotas WHERE agent=? AND env=?", key
            ).fetchone()
            self._quotas[key] = Quota.model_validate_json(row[0]) if row else Quota()
        return self._quotas[key]

    def set(self, agent: str, env: str, change: dict[str, Any]) -> Quota:
        quota = Quota.model_validate({**self.get(agent, env).model_dump(), **change})
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "INSERT OR REPLACE INTO gateway_quotas VALUES (?, ?, ?, ?)",
                (agent, env, quota.model_dump_json(), self.clock()),
            )
            self.conn.execute(  # new limits start with full buckets
                "UPDATE gateway_counters SET requests_level=?, tokens_level=?, at=? "
                "WHERE agent=? AND env=?",
                (
                    quota.requests_per_minute or 0,
                    quota.tokens_per_minute or 0,
                    self.clock(),
                    agent,
                    env,
                ),
            )
        self._quotas[(agent, env)] = quota
        return quota

    def forget(self) -> None:
        """Drop what is cached (after the state was reset)."""
        self._quotas.clear()

    # ------------------------------------------------------------ calls

    def admit(self, agent: str, env: str, audit: dict[str, Any]) -> Call:
        """Let a call through, or raise ``GatewayError`` (its audit row written)."""
        quota = self.get(agent, env)
        call = Call(agent, env, audit)
        if quota.concurrency is not None and self._running[(agent, env)] >= quota.concurrency:
            self._refuse(call, 429, "busy", f"{quota.concurrency} calls already in flight", 1)
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            c = self._counters(agent, env, quota)
            refusal = self._refusal(quota, c)
            if refusal is None:
                c.requests_level -= 1
                self._save(agent, env, c)
            else:
                self._audit(call, refusal[0], 0, 0)
        if refusal is not None:
            status, kind, message, retry = refusal
            raise GatewayError(status, kind, message, headers=self._headers(quota, c, retry))
        call.headers = self._headers(quota, c, None)
        self._running[(agent, env)] += 1
        return call

    def finish(
        self,
        call: Call,
        status: int,
        tokens_in: int,
        tokens_out: int,
        text: tuple[str, str] | None = None,
    ) -> None:
        """Take the call's tokens from the buckets and budgets; its audit row, at once."""
        self._running[(call.agent, call.env)] -= 1
        quota = self.get(call.agent, call.env)
        if text is not None and quota.log_content:
            call.audit["prompt"], call.audit["completion"] = text
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            c = self._counters(call.agent, call.env, quota)
            used = tokens_in + tokens_out
            c.tokens_level -= used
            c.day_tokens += used
            c.month_tokens += used
            self._save(call.agent, call.env, c)
            self._audit(call, status, tokens_in, tokens_out)

    def _refuse(self, call: Call, status: int, kind: str, message: str, retry: int) -> None:
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self._audit(call, status, 0, 0)
        raise GatewayError(status, kind, message, headers={"retry-after": str(retry)})

    def _refusal(self, quota: Quota, c: _Counters) -> tuple[int, str, str, int | None] | None:
        for limit, spent, what in (
            (quota.tokens_per_day, c.day_tokens, "day"),
            (quota.tokens_per_month, c.month_tokens, "month"),
        ):
            if limit is not None and spent >= limit:
                return (
                    403,
                    "quota_exceeded",
                    f"the token budget of this {what} ({limit}) is spent",
                    None,
                )
        rpm, tpm = quota.requests_per_minute, quota.tokens_per_minute
        if rpm is not None and c.requests_level < 1:
            wait = math.ceil((1 - c.requests_level) * 60 / rpm)
            return 429, "rate_limited", f"over {rpm} requests per minute", wait
        if tpm is not None and c.tokens_level <= 0:
            wait = math.ceil((1 - c.tokens_level) * 60 / tpm)
            return 429, "rate_limited", f"over {tpm} tokens per minute", wait
        return None

    def _headers(self, quota: Quota, c: _Counters, retry: int | None) -> dict[str, str]:
        headers = {} if retry is None else {"retry-after": str(retry)}
        if quota.requests_per_minute is not None:
            headers["x-ratelimit-limit-requests"] = str(quota.requests_per_minute)
            headers["x-ratelimit-remaining-requests"] = str(max(0, math.floor(c.requests_level)))
        if quota.tokens_per_minute is not None:
            headers["x-ratelimit-limit-tokens"] = str(quota.tokens_per_minute)
            headers["x-ratelimit-remaining-tokens"] = str(max(0, math.floor(c.tokens_level)))
        return headers

    # ------------------------------------------------------------ reading

    def audit(
        self, agent: str | None, since: float | None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """The newest audit rows (up to ``limit``), oldest first."""
        sql, args = "SELECT * FROM gateway_audit WHERE 1=1", list[Any]()
        if agent is not None:
            sql, args = sql + " AND agent=?", [*args, agent]
        if since is not None:
            sql, args = sql + " AND at>=?", [*args, since]
        rows = self.conn.execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [dict(r) for r in reversed(rows)]

    def usage(self, agent: str) -> dict[str, dict[str, Any]]:
        """Per environment: calls, tokens in and out, refused calls, today's and this
        month's budget use, and the quota."""
        out: dict[str, dict[str, Any]] = {}
        for env, calls, tin, tout, refused in self.conn.execute(
            "SELECT env, COUNT(*), SUM(tokens_in), SUM(tokens_out), "
            "SUM(status IN (403, 429)) FROM gateway_audit WHERE agent=? GROUP BY env",
            (agent,),
        ):
            quota = self.get(agent, env)
            c = self._counters(agent, env, quota)
            out[env] = {
                "calls": calls,
                "refused": refused or 0,
                "tokens_in": tin or 0,
                "tokens_out": tout or 0,
                "tokens_today": c.day_tokens,
                "tokens_this_month": c.month_tokens,
                "quota": quota.model_dump(),
            }
        return out

    # ------------------------------------------------------------ state

    def _counters(self, agent: str, env: str, quota: Quota) -> _Counters:
        """The counters, refilled up to now (a new day or month starts its budget at 0)."""
        now = self.clock()
        day, month = (
            time.strftime("%Y-%m-%d", time.gmtime(now)),
            time.strftime("%Y-%m", time.gmtime(now)),
        )
        rpm = float(quota.requests_per_minute or 0)
        tpm = float(quota.tokens_per_minute or 0)
        row = self.conn.execute(
            "SELECT requests_level, tokens_level, at, day, day_tokens, month, month_tokens "
            "FROM gateway_counters WHERE agent=? AND env=?",
            (agent, env),
        ).fetchone()
        if row is None:
            return _Counters(rpm, tpm, now, day, 0, month, 0)
        c = _Counters(*row)
        elapsed = max(0.0, now - c.at)
        c.requests_level = min(rpm, c.requests_level + elapsed * rpm / 60)
        c.tokens_level = min(tpm, c.tokens_level + elapsed * tpm / 60)
        c.at = now
        if c.day != day:
            c.day, c.day_tokens = day, 0
        if c.month != month:
            c.month, c.month_tokens = month, 0
        return c

    def _save(self, agent: str, env: str, c: _Counters) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO gateway_counters VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (agent, env, *asdict(c).values()),
        )

    def _audit(self, call: Call, status: int, tokens_in: int, tokens_out: int) -> None:
        a = call.audit
        self.conn.execute(
            "INSERT INTO gateway_audit (at, agent, version, env, principal, model, provider, "
            "tokens_in, tokens_out, latency_ms, status, request_id, trace_id, prompt, completion) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.clock(),
                call.agent,
                a.get("version"),
                call.env,
                a.get("principal", ""),
                a.get("model", ""),
                a.get("provider", ""),
                tokens_in,
                tokens_out,
                round((time.perf_counter() - call.started) * 1000, 3),
                status,
                a.get("request_id"),
                a.get("trace_id"),
                a.get("prompt"),
                a.get("completion"),
            ),
        )
