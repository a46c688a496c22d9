"""Scaling: set an environment's replica count, or let the autoscaler move it.

Manual scaling starts the missing replicas (and waits until they answer) or
stops the extra ones, then records the new count in the history. With
autoscale on, the autoscaler samples how many calls each replica is serving
and moves the count one step at a time within the environment's bounds:
up when replicas are busy (on average ≥ 0.75 calls in flight each over the
window), down when they are mostly idle (≤ 0.1).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import deque
from statistics import fmean

from nexus.ai import spec
from nexus_emulator import errors
from nexus_emulator.envs import deployment_in
from nexus_emulator.locks import AgentLocks
from nexus_emulator.outcomes import Scaled
from nexus_emulator.pools import Pool, Pools, TopUp
from nexus_emulator.replicas import Replicas
from nexus_emulator.store.db import Store

log = logging.getLogger("nexus_emulator.scaling")
BUSY, IDLE = 0.75, 0.1


class Scaling:
    """Changes replica counts; holds the agent's lock (shared with the deployer) meanwhile."""

    def __init__(
        self, store: Store, pools: Pools, replicas: Replicas, lock: AgentLocks, top_up: TopUp
    ) -> None:
        self.store = store
        self.pools = pools
        self.replicas = replicas
        self.lock = lock
        self.top_up = top_up

    async def scale(
        self,
        agent: str,
        env: str,
        replicas: int | None,
        autoscale: bool | None,
        actor: str | None,
    ) -> Scaled:
        """Change the count and/or the autoscale flag; raises ApiError on bad input."""
        try:
            low, high, _ = spec.ENVIRONMENTS[spec.check_env(env)]
            if replicas is not None:
                spec.check_replicas(env, replicas)
        except spec.SpecError as exc:
            raise errors.from_spec(exc) from None
        if autoscale and low == high:
            raise errors.usage(
                f"{env} runs exactly {low} replica: autoscale has no room there",
                hint="autoscale staging (1-3) or production (2-10)",
            )
        async with self.lock(agent):
            current = deployment_in(self.store, agent, env)
            count = replicas if replicas is not None else current.replicas
            started, stopped = await self.resize(agent, env, count)
            row = dataclasses.replace(
                current,
                replicas=count,
                autoscale=current.autoscale if autoscale is None else autoscale,
                updated_at=time.time(),
            )
            version = self.store.version(agent, current.revision)
            action = "scale" if autoscale is None else f"autoscale {'on' if autoscale else 'off'}"
            self.store.set_deployment(
                row, action, version.label if version else f"r{current.revision}", actor
            )
        return Scaled(agent, env, current.replicas, count, row.autoscale, started, stopped)

    async def resize(self, agent: str, env: str, count: int) -> tuple[int, int]:
        """Start or stop replicas until ``count`` serve (the caller holds the agent's lock);
        the numbers started and stopped."""
        pool = self.pools.get(agent, env)
        live = [r for r in pool.replicas if r.state != "stopped"] if pool else []
        if count > len(live):
            await self.top_up(agent, env, live, count)
            return count - len(live), 0
        if count < len(live) and pool is not None:
            # unhealthy ones go first, then the newest
            order = sorted(live, key=lambda r: (r.state == "healthy", -r.handle.replica))
            extra, keep = order[: len(live) - count], order[len(live) - count :]
            self.pools.put(Pool(agent, env, pool.revision, keep, pool.max_concurrency))
            await self.replicas.stop_pool(Pool(agent, env, pool.revision, extra))
            return 0, len(extra)
        return 0, 0


class Autoscaler:
    """Samples calls in flight per replica; moves autoscaled deployments one step at a time."""

    def __init__(
        self,
        store: Store,
        pools: Pools,
        scaling: Scaling,
        window: float,
        interval: float = 0.5,
    ) -> None:
        self.store = store
        self.pools = pools
        self.scaling = scaling
        self.window = window
        self.interval = interval
        size = max(2, int(window / interval))
        self.samples: dict[tuple[str, str], deque[float]] = {}
        self._size = size

    def sample(self) -> None:
        for pool in self.pools.all():
            healthy = [r for r in pool.replicas if r.state == "healthy"]
            if not healthy:
                continue
            load = sum(r.in_flight for r in healthy) / len(healthy)
            key = (pool.agent, pool.env)
            self.samples.setdefault(key, deque(maxlen=self._size)).append(load)

    def decide(self, agent: str, env: str, count: int) -> int:
        """The count the load asks for, once a full window of samples is in."""
        window = self.samples.get((agent, env))
        if window is None or len(window) < (window.maxlen or 0):
            return count
        low, high, _ = spec.ENVIRONMENTS[env]
        load = fmean(window)
        if load >= BUSY and count < high:
            return count + 1
        if load <= IDLE and count > low:
            return count - 1
        return count

    async def step(self) -> None:
        self.sample()
        for d in self.store.deployments():
            if not d.autoscale:
                continue
            wanted = self.decide(d.agent, d.env, d.replicas)
            if wanted == d.replicas or self.scaling.lock(d.agent).locked():
                continue
            self.samples.pop((d.agent, d.env), None)  # a new window for the new count
            try:
                done = await self.scaling.scale(d.agent, d.env, wanted, None, "autoscaler")
            except Exception:
                log.exception("autoscaling %s/%s failed", d.agent, d.env)
                continue
            log.info(
                "autoscaled %s/%s: %d -> %d replicas (%d started, %d stopped)",
                d.agent,
                d.env,
                done.replicas_before,
                done.replicas,
                done.started,
                done.stopped,
            )

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.step()
            except Exception:  # the autoscaler must outlive one bad step
                log.exception("autoscaler step failed")
