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
from nexus_emulator.deployer import Deployer
from nexus_emulator.outcomes import Scaled
from nexus_emulator.pools import Pool

log = logging.getLogger("nexus_emulator.scaling")
BUSY, IDLE = 0.75, 0.1


async def scale(
    deployer: Deployer,
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
    async with deployer.lock(agent):
        current = deployer.deployment(agent, env)
        count = replicas if replicas is not None else current.replicas
        started, stopped = await resize(deployer, agent, env, count)
        row = dataclasses.replace(
            current,
            replicas=count,
            autoscale=current.autoscale if autoscale is None else autoscale,
            updated_at=time.time(),
        )
        version = deployer.store.version(agent, current.revision)
        action = "scale" if autoscale is None else f"autoscale {'on' if autoscale else 'off'}"
        deployer.store.set_deployment(
            row, action, version.label if version else f"r{current.revision}", actor
        )
    return Scaled(agent, env, current.replicas, count, row.autoscale, started, stopped)


async def resize(deployer: Deployer, agent: str, env: str, count: int) -> tuple[int, int]:
    """Start or stop replicas until ``count`` serve (the caller holds the agent's lock);
    the numbers started and stopped."""
    pool = deployer.pools.get(agent, env)
    live = [r for r in pool.replicas if r.state != "stopped"] if pool else []
    if count > len(live):
        await deployer.top_up(agent, env, live, count)
        return count - len(live), 0
    if count < len(live) and pool is not None:
        # unhealthy ones go first, then the newest
        order = sorted(live, key=lambda r: (r.state == "healthy", -r.handle.replica))
        extra, keep = order[: len(live) - count], order[len(live) - count :]
        deployer.pools.put(Pool(agent, env, pool.revision, keep))
        await deployer.replicas.stop_pool(Pool(agent, env, pool.revision, extra))
        return 0, len(extra)
    return 0, 0


class Autoscaler:
    """Samples calls in flight per replica; moves autoscaled deployments one step at a time."""

    def __init__(self, deployer: Deployer, window: float, interval: float = 0.5) -> None:
        self.deployer = deployer
        self.window = window
        self.interval = interval
        size = max(2, int(window / interval))
        self.samples: dict[tuple[str, str], deque[float]] = {}
        self._size = size

    def sample(self) -> None:
        for pool in self.deployer.pools.all():
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
        for d in self.deployer.store.deployments():
            if not d.autoscale:
                continue
            wanted = self.decide(d.agent, d.env, d.replicas)
            if wanted == d.replicas or self.deployer.lock(d.agent).locked():
                continue
            self.samples.pop((d.agent, d.env), None)  # a new window for the new count
            try:
                done = await scale(self.deployer, d.agent, d.env, wanted, None, "autoscaler")
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
