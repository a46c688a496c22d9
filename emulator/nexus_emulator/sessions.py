"""Per-session isolation (``deploy --isolation session``): each new session id gets a fresh
replica of the version serving its environment, reused by that session's calls until it is
idle for ``session_idle`` seconds or older than ``session_lifetime``, then destroyed with its
filesystem (a container's own layer on Docker). The local stand-in for a microVM per session.

A new session takes the environment's warm spare when one is ready (spares.py) and waits
for a replica to start only when none is. A session whose replica died (killed, crashed)
gets a fresh one on its next call instead of an error: each call asks the runtime whether
the session's replica still runs (about 0.2 ms on Docker); one that dies after that fails
the call in flight like any replica. The log and ``sessions`` (``lost``, ``lost_at``) say
that the session's state was lost.

Session replicas live outside the environment's pool (pools.py): they take no other
session's calls, the health monitor and the autoscaler do not count them, and they do not
outlive the emulator (reconcile.py stops them at the next start). A call that names no
session (no session header, no ``context.session_id``) goes to the shared replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from dataclasses import dataclass, field

from nexus_emulator import errors
from nexus_emulator.order import serving
from nexus_emulator.pools import LiveReplica, Pool, Pools
from nexus_emulator.replicas import Replicas
from nexus_emulator.spares import Spares
from nexus_emulator.store import Store

log = logging.getLogger("nexus_emulator.sessions")

# replica indexes of session replicas start here (shared replicas count from 0)
SESSION_INDEX = 100_000
SWEEP_EVERY = 1.0  # seconds between looks for idle or old sessions and missing spares


@dataclass
class Session:
    id: str
    agent: str
    env: str
    pool: Pool  # the session's one replica
    started_at: float = field(default_factory=time.time)
    used_at: float = field(default_factory=time.time)  # its last call started
    lost: int = 0  # times its replica died and a fresh one took over (its state was lost)
    lost_at: float | None = None
    renewing: asyncio.Future[LiveReplica] | None = None

    @property
    def replica(self) -> LiveReplica:
        return self.pool.replicas[0]


class Sessions:
    def __init__(
        self,
        store: Store,
        replicas: Replicas,
        idle: float,
        lifetime: float,
        pools: Pools | None = None,
        spare: bool = True,
    ) -> None:
        self.store = store
        self.replicas = replicas
        self.idle = idle
        self.lifetime = lifetime
        self.live: dict[tuple[str, str], Session] = {}  # (agent, session id)
        self._starting: dict[tuple[str, str], asyncio.Future[Session]] = {}
        self._index = itertools.count(SESSION_INDEX)
        self.spares = Spares(store, replicas, pools or Pools(), self._index, spare)
        self._wake = asyncio.Event()  # a spare was taken: tend the spares now

    def of_agent(self, agent: str) -> list[Session]:
        return sorted(
            (s for s in self.live.values() if s.agent == agent), key=lambda s: s.started_at
        )

    async def pick(self, agent: str, env: str, session: str) -> tuple[Pool, LiveReplica]:
        """The session's own replica: on its first call the spare, else one started (and
        waited for); a fresh one when the one it had is gone."""
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
        elif found.renewing is not None or not await self._alive(found.replica):
            await self._renew(found, found.replica)
        found.used_at = time.time()
        return found.pool, found.replica

    async def _alive(self, r: LiveReplica) -> bool:
        """Still running, and still the one at its address: a dead container's address may
        go to a new one (of this emulator: its secret replaces the old one's)."""
        if r.state == "gone":
            return False
        if self.replicas.owner(r.handle.endpoint) != r.handle.id or not (
            await self.replicas.runtime.running(r.handle.id)
        ):
            log.warning("session replica %s is gone", r.handle.id[:12])
            r.state = "gone"
            return False
        return True

    async def _fresh(self, agent: str, env: str, session: str) -> LiveReplica:
        """The environment's spare, else a replica started now, of the version it serves."""
        d = self.store.deployment(agent, env)
        version = self.store.version(agent, d.revision) if d else None
        if d is None or version is None:
            raise errors.not_found(f"{agent} is not deployed to {env}")
        live = await self.spares.take(agent, env)
        self._wake.set()  # start the next spare now
        if live is not None:
            log.info("session %s of %s takes the spare %s", session, agent, live.handle.id[:12])
            return live
        index = next(self._index)
        return await self.replicas.start_at(
            agent, env, version, serving(d), index, lambda m: log.info("session %s: %s", session, m)
        )

    async def _start(self, agent: str, env: str, session: str) -> Session:
        live = await self._fresh(agent, env, session)
        d = self.store.deployment(agent, env)
        pool = Pool(agent, env, live.handle.revision, [live], d.max_concurrency if d else 0)
        made = Session(session, agent, env, pool)
        self.live[(agent, session)] = made
        return made

    async def _renew(self, s: Session, old: LiveReplica) -> LiveReplica:
        """Replace the session's dead replica ``old`` once, however many calls ask."""
        if s.replica is not old and s.renewing is None:
            return s.replica  # already replaced
        if s.renewing is None:
            s.renewing = asyncio.ensure_future(self._replace(s, old))

            def done(_f: object) -> None:
                s.renewing = None

            s.renewing.add_done_callback(done)
        return await asyncio.shield(s.renewing)

    async def _replace(self, s: Session, old: LiveReplica) -> LiveReplica:
        log.warning(
            "session %s of %s: its replica %s is gone, so the session's state (files, "
            "processes, memory) was lost; a fresh replica takes its calls",
            s.id,
            s.agent,
            old.handle.id[:12],
        )
        await self.replicas.stop(old)  # what is left of it
        live = await self._fresh(s.agent, s.env, s.id)
        if self.live.get((s.agent, s.id)) is not s:  # stopped meanwhile: nothing keeps it
            await self.replicas.stop(live)
            raise errors.not_found(f"session {s.id} of {s.agent} was stopped")
        s.pool.replicas = [live]
        s.pool.revision = live.handle.revision
        s.lost += 1
        s.lost_at = time.time()
        return live

    async def stop(self, agent: str, session: str) -> Session | None:
        """Destroy the session's replica; None when the agent has no such session."""
        found = self.live.pop((agent, session), None)
        if found is not None:
            await self.replicas.stop_pool(found.pool)
        return found

    async def forget(self, agent: str) -> None:
        """The agent is deleted (its session replicas with it, by the deployer)."""
        for key in [k for k in self.live if k[0] == agent]:
            del self.live[key]
        await self.spares.forget(agent)

    def tracked(self) -> set[str] | None:
        """The ids of the session replicas and spares; None while one is starting (gc)."""
        if self._starting or self.spares.filling or any(s.renewing for s in self.live.values()):
            return None
        return {s.replica.handle.id for s in self.live.values()} | self.spares.tracked()

    def expired(self, now: float) -> list[Session]:
        return [
            s
            for s in self.live.values()
            if not s.replica.in_flight
            and (now - s.used_at > self.idle or now - s.started_at > self.lifetime)
        ]

    async def run(self) -> None:
        """Destroy sessions idle or older than allowed and keep the spares, for as long as
        the emulator runs."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SWEEP_EVERY):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.spares.tend()
                for s in self.expired(time.time()):
                    log.info("session %s of %s ended (idle or too old)", s.id, s.agent)
                    await self.stop(s.agent, s.id)
            except Exception:  # one bad round must not end the sweeps
                log.exception("the sessions' sweep failed")
