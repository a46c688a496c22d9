"""Live replicas per (agent, environment) and how a request picks one."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

from nexus_emulator.crashloop import CrashLoops
from nexus_emulator.runtime.base import ReplicaHandle

EJECT_AFTER = 5  # failed or timed-out invocations in a row that eject a replica


@dataclass
class LiveReplica:
    handle: ReplicaHandle
    state: str = "starting"  # starting | healthy | unhealthy | ejected | stopped
    started_at: float = field(default_factory=time.time)
    healthy_after: float | None = None  # seconds from start to first healthy /ping
    in_flight: int = 0
    missed: int = 0  # health checks missed in a row
    failures: int = 0  # invocations failed in a row (no answer, or a 5xx)

    def observe(self, failed: bool) -> None:
        """Outlier detection: after ``EJECT_AFTER`` failed invocations in a row the replica
        is ejected, even when it still answers ``/ping``: no more traffic, and the health
        monitor replaces it."""
        if not failed:
            self.failures = 0
            return
        self.failures += 1
        if self.failures >= EJECT_AFTER and self.state == "healthy":
            self.state = "ejected"


@dataclass
class Pool:
    agent: str
    env: str
    revision: int
    replicas: list[LiveReplica] = field(default_factory=list)
    _next: int = 0

    def pick(self) -> LiveReplica | None:
        """Least busy healthy replica; round robin among equals."""
        healthy = [r for r in self.replicas if r.state == "healthy"]
        if not healthy:
            return None
        self._next = (self._next + 1) % len(healthy)
        ordered = healthy[self._next :] + healthy[: self._next]
        return min(ordered, key=lambda r: r.in_flight)


class Pools:
    def __init__(self) -> None:
        self._pools: dict[tuple[str, str], Pool] = {}
        self.crashes = CrashLoops()  # replacements per environment, for the backoff

    def get(self, agent: str, env: str) -> Pool | None:
        return self._pools.get((agent, env))

    def put(self, pool: Pool) -> Pool | None:
        """Install a pool; return the one it replaces."""
        old = self._pools.get((pool.agent, pool.env))
        self._pools[(pool.agent, pool.env)] = pool
        return old

    def remove(self, agent: str, env: str) -> Pool | None:
        return self._pools.pop((agent, env), None)

    def of_agent(self, agent: str) -> list[Pool]:
        return [p for (a, _e), p in self._pools.items() if a == agent]

    def all(self) -> list[Pool]:
        return list(self._pools.values())


class TopUp(Protocol):
    """Start the replicas missing beside ``keep`` (up to ``count``, else the deployment's
    own count), then serve them all (``Deployer.top_up``); the caller holds the agent's lock."""

    async def __call__(
        self, agent: str, env: str, keep: list[LiveReplica], count: int | None = None
    ) -> None: ...
