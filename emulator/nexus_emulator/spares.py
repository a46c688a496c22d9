"""Warm spares of session-isolated deployments (``deploy --isolation session``).

A new session's first call would wait for its replica to start and answer ``/ping``.
Instead every session-isolated environment keeps one spare: a replica of the version it
serves, started and health-checked, bound to no session and reached by no call. The next
new session takes it (``take``, which removes it from the table before the session gets
it, so no two sessions ever share one) and a fresh spare is started in the background.

A spare is retired (stopped) when its environment changes (a redeploy, rollback, restart
or scale writes the deployment), stops being session-isolated or is deleted, and with
``NEXUS_SESSION_SPARE=off``. It carries a session replica's index, so the next start's
reconcile stops it as it stops session replicas, and ``gc`` stops any such container the
emulator no longer tracks. ``status`` shows it as ``session_spare``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator

from nexus_emulator.order import serving
from nexus_emulator.pools import LiveReplica, Pools, Spare
from nexus_emulator.replicas import Replicas
from nexus_emulator.runtime.base import Runtime
from nexus_emulator.store import Store

log = logging.getLogger("nexus_emulator.spares")
RETRY_AFTER_FAILURE = 10.0  # seconds before a spare that failed to start is tried again

Key = tuple[str, str]  # (agent, env)


class Spares:
    def __init__(
        self,
        store: Store,
        replicas: Replicas,
        pools: Pools,
        index: Iterator[int],
        enabled: bool = True,
    ) -> None:
        self.store = store
        self.replicas = replicas
        self.pools = pools
        self.index = index  # shared with the sessions: a spare becomes a session's replica
        self.enabled = enabled
        self._filling: dict[Key, asyncio.Task[None]] = {}
        self._failed: dict[Key, float] = {}  # when a spare last failed to start

    @property
    def runtime(self) -> Runtime:
        return self.replicas.runtime

    def _wanted(self) -> dict[Key, float]:
        """Environments that should have a spare, with the stamp their spare must carry."""
        if not self.enabled:
            return {}
        return {
            (d.agent, d.env): d.updated_at
            for d in self.store.deployments()
            if d.isolation == "session"
        }

    async def take(self, agent: str, env: str) -> LiveReplica | None:
        """The environment's spare for a new session, if one is ready and still current;
        it is no spare from here on (the caller owns it)."""
        key = (agent, env)
        spare = self.pools.spares.get(key)
        if spare is None:
            return None
        del self.pools.spares[key]  # before any await: no other session can get it
        d = self.store.deployment(agent, env)
        current = d is not None and d.updated_at == spare.made_for
        if (
            current
            and spare.live.state == "healthy"
            and await self.runtime.running(spare.live.handle.id)
        ):
            return spare.live
        await self.replicas.stop(spare.live)  # retired, or it died while it waited
        return None

    async def tend(self) -> None:
        """Retire spares no longer wanted and start the ones missing (in the background)."""
        wanted = self._wanted()
        for key, spare in list(self.pools.spares.items()):
            if wanted.get(key) != spare.made_for or spare.live.state != "healthy":
                del self.pools.spares[key]
                log.info("retiring the session spare of %s/%s", *key)
                await self.replicas.stop(spare.live)
        now = time.monotonic()
        for key, stamp in wanted.items():
            if (
                key not in self.pools.spares
                and key not in self._filling
                and now - self._failed.get(key, -RETRY_AFTER_FAILURE) >= RETRY_AFTER_FAILURE
            ):
                self._filling[key] = asyncio.ensure_future(self._fill(key, stamp))

    async def _fill(self, key: Key, stamp: float) -> None:
        try:
            await self._start(key, stamp)
        finally:
            self._filling.pop(key, None)

    async def _start(self, key: Key, stamp: float) -> None:
        agent, env = key
        d = self.store.deployment(agent, env)
        version = self.store.version(agent, d.revision) if d else None
        if d is None or version is None or d.updated_at != stamp:
            return
        try:
            live = await self.replicas.start_at(
                agent,
                env,
                version,
                serving(d),
                next(self.index),
                lambda m: log.info("session spare of %s/%s: %s", agent, env, m),
            )
        except Exception as exc:  # the next sweep after the pause tries again
            self._failed[key] = time.monotonic()
            log.warning("could not start a session spare of %s/%s: %s", agent, env, exc)
            return
        self._failed.pop(key, None)
        if self._wanted().get(key) != stamp or key in self.pools.spares:
            await self.replicas.stop(live)  # the environment changed while it started
            return
        self.pools.spares[key] = Spare(live, stamp)

    async def forget(self, agent: str) -> None:
        """The agent is deleted: stop its spares (one still starting stops itself when it
        finds the deployment gone)."""
        for key in [k for k in self.pools.spares if k[0] == agent]:
            await self.replicas.stop(self.pools.spares.pop(key).live)

    @property
    def filling(self) -> bool:
        """A spare is starting now."""
        return bool(self._filling)

    def tracked(self) -> set[str]:
        """Ids of the spares (gc leaves them)."""
        return {s.live.handle.id for s in self.pools.spares.values()}
