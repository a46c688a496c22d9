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
import time

from nexus_emulator import errors
from nexus_emulator.crashloop import KEEP_LINES
from nexus_emulator.logrecords import as_text
from nexus_emulator.pools import LiveReplica, Pool
from nexus_emulator.upkeep import Upkeep

log = logging.getLogger("nexus_emulator.health")
MISSES_UNHEALTHY = 2
USAGE_EVERY = 5.0  # seconds between two reads of a replica's pids and memory


async def check_pool(parts: Upkeep, pool: Pool) -> None:
    async def probe(r: LiveReplica) -> None:
        if r.state in ("stopped", "ejected"):
            return
        answer = await parts.relay.ping(r.handle.endpoint, timeout=1.0)
        if answer is not None:
            r.missed, r.state = 0, "healthy"
            r.busy = answer.get("status") == "HealthyBusy"  # full by its own count
            return
        r.missed += 1
        if r.missed >= MISSES_UNHEALTHY and r.state != "unhealthy":
            log.warning("replica %s of %s/%s is unhealthy", r.handle.id, pool.agent, pool.env)
            r.state = "unhealthy"

    async def measure(r: LiveReplica) -> None:
        """pids and memory from the engine, at most every USAGE_EVERY seconds a replica."""
        last = r.usage.measured_at if r.usage is not None else None
        if r.state != "stopped" and (last is None or time.time() - last >= USAGE_EVERY):
            r.usage = await parts.runtime.usage(r.handle.id) or r.usage

    await asyncio.gather(*(probe(r) for r in pool.replicas), *(measure(r) for r in pool.replicas))
    unhealthy = [r for r in pool.replicas if r.state == "unhealthy"]
    dead = [r for r in unhealthy if not await parts.runtime.running(r.handle.id)]
    dead += [r for r in pool.replicas if r.state == "ejected"]
    d = parts.store.deployment(pool.agent, pool.env)
    short = d is not None and d.revision == pool.revision and len(pool.replicas) < d.replicas
    if dead or short:  # short: an earlier replacement failed to start
        await replace(parts, pool, dead)


async def replace(parts: Upkeep, pool: Pool, dead: list[LiveReplica]) -> None:
    """Stop ``dead`` and start replicas up to the deployment's count; with backoff while the
    environment is crash-looping (``crashloop.py``)."""
    restarts = parts.pools.crashes.of(pool.agent, pool.env, pool.revision)
    now = time.time()
    lock = parts.lock(pool.agent)
    if lock.locked() or not restarts.may_restart(now):
        return  # a deploy or rollback is changing this agent, or a backoff: next round
    async with lock:
        if parts.pools.get(pool.agent, pool.env) is not pool:
            return
        lines: list[str] = []
        for r in dead:
            why = "gone" if r.state != "ejected" else f"ejected after {r.failures} failed calls"
            log.warning("replacing replica %s of %s/%s: %s", r.handle.id, pool.agent, pool.env, why)
            lines = await _last_lines(parts, r) or lines
            await parts.replicas.stop(r)
        keep = [r for r in pool.replicas if r not in dead]
        pool.replicas = keep
        try:
            await parts.top_up(pool.agent, pool.env, keep)
        except errors.ApiError as exc:
            lines = exc.details or lines
            log.warning("could not replace replicas of %s/%s: %s", pool.agent, pool.env, exc)
        except Exception:
            log.exception("could not replace replicas of %s/%s", pool.agent, pool.env)
        restarts.record(now, lines)
        if (loop := restarts.view(now)) is not None:
            log.warning(
                "%s/%s is crash-looping: %d restarts in %g s, next in %g s",
                pool.agent,
                pool.env,
                loop.restarts,
                loop.window_s,
                loop.next_restart_in_s,
            )


async def _last_lines(parts: Upkeep, r: LiveReplica) -> list[str]:
    try:
        return as_text(await parts.runtime.logs(r.handle.id, tail=2 * KEEP_LINES))
    except Exception:  # its logs may be gone with it
        return []


async def monitor(parts: Upkeep, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        for pool in parts.pools.all():
            try:
                await check_pool(parts, pool)
            except Exception:  # one pool's trouble must not stop the others' checks
                log.exception("health check of %s/%s failed", pool.agent, pool.env)
