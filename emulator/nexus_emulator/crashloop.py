"""Crash loops: an environment whose replicas keep dying is restarted with backoff.

The health monitor records each replacement (``Restarts.record``) with the last
log lines of the replica that went. ``LOOP_AFTER`` replacements within
``WINDOW`` seconds make the environment crash-looping: the next replacement
waits ``BASE_DELAY`` seconds, doubling each time up to ``MAX_DELAY``.
``nexus ai agent status`` shows it with those log lines (``CrashLoop``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from nexus_api.models import CrashLoop

WINDOW = 120.0
LOOP_AFTER = 3
BASE_DELAY = 2.0
MAX_DELAY = 300.0
KEEP_LINES = 10


@dataclass
class Restarts:
    revision: int  # the version's revision they are of: a new version starts afresh
    times: list[float] = field(default_factory=list)  # when replicas were replaced, recent
    last_log: list[str] = field(default_factory=list)
    not_before: float = 0.0  # no replacement before this time (backoff)

    def recent(self, now: float) -> list[float]:
        self.times = [t for t in self.times if now - t < WINDOW]
        return self.times

    def may_restart(self, now: float) -> bool:
        return now >= self.not_before

    def record(self, now: float, log_lines: list[str]) -> None:
        count = len(self.recent(now)) + 1
        self.times.append(now)
        if log_lines:
            self.last_log = log_lines[-KEEP_LINES:]
        if count >= LOOP_AFTER:
            self.not_before = now + min(BASE_DELAY * 2 ** (count - LOOP_AFTER), MAX_DELAY)

    def view(self, now: float | None = None) -> CrashLoop | None:
        """What ``status`` shows while the environment is crash-looping, else None."""
        now = time.time() if now is None else now
        count = len(self.recent(now))
        if count < LOOP_AFTER:
            return None
        return CrashLoop(
            restarts=count,
            window_s=WINDOW,
            next_restart_in_s=round(max(0.0, self.not_before - now), 1),
            last_log=self.last_log,
        )


class CrashLoops:
    """The restarts of every environment, by (agent, environment)."""

    def __init__(self) -> None:
        self._by_env: dict[tuple[str, str], Restarts] = {}

    def of(self, agent: str, env: str, revision: int) -> Restarts:
        restarts = self._by_env.get((agent, env))
        if restarts is None or restarts.revision != revision:
            restarts = self._by_env[(agent, env)] = Restarts(revision)
        return restarts

    def view(self, agent: str, env: str, revision: int) -> CrashLoop | None:
        restarts = self._by_env.get((agent, env))
        return None if restarts is None or restarts.revision != revision else restarts.view()

    def forget(self, agent: str) -> None:
        for key in [k for k in self._by_env if k[0] == agent]:
            del self._by_env[key]
