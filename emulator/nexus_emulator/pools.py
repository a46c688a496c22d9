"""Live replicas per (agent, environment) and how a request picks one."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Protocol

from nexus_api.models import Usage
from nexus_emulator.crashloop import CrashLoops
from nexus_emulator.runtime.base import ReplicaHandle

EJECT_AFTER = 5  # failed or timed-out invocations in a row that eject a replica


@dataclass
class LiveReplica:
    handle: ReplicaHandle
    state: str = "starting"  # starting | healthy | unhealthy | ejected | stopped | gone
    # (gone: a session's replica that died, replaced on the session's next call)
    started_at: float = field(default_factory=time.time)
    healthy_after: float | None = None  # seconds from start to first healthy /ping
    in_flight: int = 0  # calls relayed to it now (counted from Chain.start to the answer)
    busy: bool = False  # its last /ping said HealthyBusy (until one of our calls to it ends)
    missed: int = 0  # health checks missed in a row
    failures: int = 0  # invocations failed in a row (no answer, or a 5xx)
    usage: Usage | None = None  # processes and memory, as the health monitor last measured

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
    max_concurrency: int = 0  # calls one replica takes at once; 0: no limit
    _next: int = 0
    freed: asyncio.Event = field(default_factory=asyncio.Event)  # set when a call ends

    def takes(self, r: LiveReplica) -> bool:
        """Healthy, and below the per-replica limit (if there is one)."""
        return r.state == "healthy" and (
            not self.max_concurrency or r.in_flight < self.max_concurrency
        )

    def pick(self) -> LiveReplica | None:
        """The least busy replica that takes a call: first those whose /ping did not say
        HealthyBusy, then the fewest calls in flight; round robin among equals. None when
        every healthy replica is full (the caller waits for ``freed``)."""
        open_ = [r for r in self.replicas if self.takes(r)]
        if not open_:
            return None
        self._next = (self._next + 1) % len(open_)
        ordered = open_[self._next :] + open_[: self._next]
        return min(ordered, key=lambda r: (r.busy, r.in_flight))

    def claim(self, r: LiveReplica) -> None:
        r.in_flight += 1

    def release(self, r: LiveReplica) -> None:
        """A call to ``r`` ended: its slot is free, and so is the HealthyBusy it reported."""
        r.in_flight -= 1
        r.busy = False
        self.freed.set()

    def capacity(self) -> int:
        """Calls the pool takes at once (its healthy replicas times the limit; without a
        limit, one per healthy replica: what the task queue runs at once)."""
        healthy = sum(r.state == "healthy" for r in self.replicas)
        return healthy * (self.max_concurrency or 1)


@dataclass
class Spare:
    """A session-isolated environment's warm spare (spares.py), bound to no session yet."""

    live: LiveReplica
    made_for: float  # the deployment's updated_at when it started: a later change retires it


class Pools:
    def __init__(self) -> None:
        self._pools: dict[tuple[str, str], Pool] = {}
        self.spares: dict[tuple[str, str], Spare] = {}  # outside every pool: no call reaches it
        self.crashes = CrashLoops()  # replacements per environment, for the backoff
        self.waiting: dict[tuple[str, str], int] = {}  # calls waiting for a replica to take them

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
