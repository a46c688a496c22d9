"""Per-session isolation (``deploy --isolation session``): each new session id gets a fresh
replica of the version serving its environment, reused by that session's calls until it is
idle for ``session_idle`` seconds or older than ``session_lifetime``, then destroyed with its
filesystem (a container's own layer on Docker). The local stand-in for a microVM per session.

Session replicas live outside the environment's pool (pools.py): they take no other
session's calls, the health monitor and the autoscaler do not count them, and they do not
outlive the emulator (reconcile.py stops them at the next start). A call that names no
session (no session header, no ``context.session_id``) goes to the shared replicas.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from dataclasses import dataclass, field

from nexus_emulator import errors
from nexus_emulator.order import serving
from nexus_emulator.pools import LiveReplica, Pool
from nexus_emulator.replicas import Replicas
from nexus_emulator.store import Store

log = logging.getLogger("nexus_emulator.sessions")

# replica indexes of session replicas start here (shared replicas count from 0)
SESSION_INDEX = 100_000
SWEEP_EVERY = 1.0  # seconds between looks for idle or old sessions


@dataclass
class Session:
    id: str
    agent: str
    env: str
    pool: Pool  # the session's one replica
    started_at: float = field(default_factory=time.time)
    used_at: float = field(default_factory=time.time)  # its last call started

    @property
    def replica(self) -> LiveReplica:
        return self.pool.replicas[0]


class Sessions:
    def __init__(self, store: Store, replicas: Replicas, idle: float, lifetime: float) -> None:
        self.store = store
        self.replicas = replicas
        self.idle = idle
        self.lifetime = lifetime
        self.live: dict[tuple[str, str], Session] = {}  # (agent, session id)
        self._starting: dict[tuple[str, str], asyncio.Future[Session]] = {}
        self._index = itertools.count(SESSION_INDEX)

    def of_agent(self, agent: str) -> list[Session]:
        return sorted(
            (s for s in self.live.values() if s.agent == agent), key=lambda s: s.started_at
        )

    async def pick(self, agent: str, env: str, session: str) -> tuple[Pool, LiveReplica]:
        """The session's own replica, started (and waited for) on its first call."""
        key = (agent, session)
        found = self.live.get(key)
        if found is not None and found.env != env:
            raise errors.usage(
                f"session {session} of {agent} runs in {found.env}, not {env}",
                hint=f"nexus ai agent session stop {agent} {session}  # then call again",
            )
        if found is None:
            starting = self._starting.get(key)
            if starting is None:
                starting = asyncio.ensure_future(self._start(agent, env, session))
                self._starting[key] = starting
                starting.add_done_callback(lambda _f: self._starting.pop(key, None))
            found = await asyncio.shield(starting)
        found.used_at = time.time()
        return found.pool, found.replica

    async def _start(self, agent: str, env: str, session: str) -> Session:
        """A fresh replica of the version the environment serves, with its size."""
        d = self.store.deployment(agent, env)
        version = self.store.version(agent, d.revision) if d else None
        if d is None or version is None:
            raise errors.not_found(f"{agent} is not deployed to {env}")
        size = serving(d)
        index = next(self._index)
        live = await self.replicas.start_at(
            agent, env, version, size, index, lambda m: log.info("session %s: %s", session, m)
        )
        pool = Pool(agent, env, version.revision, [live], size.max_concurrency)
        made = Session(session, agent, env, pool)
        self.live[(agent, session)] = made
        return made

    async def stop(self, agent: str, session: str) -> Session | None:
        """Destroy the session's replica; None when the agent has no such session."""
        found = self.live.pop((agent, session), None)
        if found is not None:
            await self.replicas.stop_pool(found.pool)
        return found

    def forget(self, agent: str) -> None:
        """The agent is deleted (its replicas with it, by the deployer)."""
        for key in [k for k in self.live if k[0] == agent]:
            del self.live[key]

    def expired(self, now: float) -> list[Session]:
        return [
            s
            for s in self.live.values()
            if not s.replica.in_flight
            and (now - s.used_at > self.idle or now - s.started_at > self.lifetime)
        ]

    async def run(self) -> None:
        """Destroy sessions idle or older than allowed, for as long as the emulator runs."""
        while True:
            await asyncio.sleep(SWEEP_EVERY)
            for s in self.expired(time.time()):
                log.info("session %s of %s ended (idle or too old)", s.id, s.agent)
                await self.stop(s.agent, s.id)
