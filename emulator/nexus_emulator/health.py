"""Keeps replica health true: pings every replica, replaces the ones that died.

A replica that misses two checks in a row is marked unhealthy (no traffic is
routed to it); one whose container or process is gone is replaced by a new
replica of the same version, and so is one the invocation chain ejected after
failed calls in a row (``LiveReplica.observe``). Pools being deployed are left
to the deploy.
"""

from __future__ import annotations

import asyncio
import logging

from nexus_emulator.deployer import Deployer
from nexus_emulator.pools import LiveReplica, Pool

log = logging.getLogger("nexus_emulator.health")
MISSES_UNHEALTHY = 2


async def check_pool(deployer: Deployer, pool: Pool) -> None:
    async def probe(r: LiveReplica) -> None:
        if r.state in ("stopped", "ejected"):
            return
        if await deployer.relay.ping(r.handle.endpoint, timeout=1.0):
            r.missed, r.state = 0, "healthy"
            return
        r.missed += 1
        if r.missed >= MISSES_UNHEALTHY and r.state != "unhealthy":
            log.warning("replica %s of %s/%s is unhealthy", r.handle.id, pool.agent, pool.env)
            r.state = "unhealthy"

    await asyncio.gather(*(probe(r) for r in pool.replicas))
    unhealthy = [r for r in pool.replicas if r.state == "unhealthy"]
    dead = [r for r in unhealthy if not await deployer.runtime.running(r.handle.id)]
    dead += [r for r in pool.replicas if r.state == "ejected"]
    if dead:
        await replace(deployer, pool, dead)


async def replace(deployer: Deployer, pool: Pool, dead: list[LiveReplica]) -> None:
    lock = deployer.lock(pool.agent)
    if lock.locked():
        return  # a deploy or rollback is changing this agent: check again next round
    async with lock:
        if deployer.pools.get(pool.agent, pool.env) is not pool:
            return
        for r in dead:
            why = "gone" if r.state != "ejected" else f"ejected after {r.failures} failed calls"
            log.warning("replacing replica %s of %s/%s: %s", r.handle.id, pool.agent, pool.env, why)
            await deployer.replicas.stop(r)
        keep = [r for r in pool.replicas if r not in dead]
        pool.replicas = keep
        try:
            await deployer.top_up(pool.agent, pool.env, keep)
        except Exception:
            log.exception("could not replace replicas of %s/%s", pool.agent, pool.env)


async def monitor(deployer: Deployer, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        for pool in deployer.pools.all():
            try:
                await check_pool(deployer, pool)
            except Exception:  # one pool's trouble must not stop the others' checks
                log.exception("health check of %s/%s failed", pool.agent, pool.env)
