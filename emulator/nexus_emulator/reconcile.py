"""After a start: adopt the replicas that still run, restart the missing, stop strays.

Adopted replicas are pinged before anything else, and ``adopted`` is called
once every environment's pool holds the ones that answered: the emulator says
it is ready then, and calls for environments whose missing replicas are still
starting wait for them (``Chain.pick_or_wait``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from nexus_emulator.outcomes import Reconciled
from nexus_emulator.pools import LiveReplica, Pool
from nexus_emulator.sessions import SESSION_INDEX
from nexus_emulator.upkeep import Upkeep

log = logging.getLogger("nexus_emulator.reconcile")


async def reconcile(parts: Upkeep, adopted: Callable[[], None] = lambda: None) -> Reconciled:
    store, runtime = parts.store, parts.runtime
    done = Reconciled()
    existing = await runtime.replicas()
    wanted = {(d.agent, d.env): d for d in store.deployments()}
    for handle in existing:
        d = wanted.get((handle.agent, handle.env))
        if (
            d is None
            or handle.revision != d.revision
            or not handle.running
            or handle.replica >= SESSION_INDEX  # a session's: sessions end with the emulator
        ):
            log.info("stopping stray replica %s", handle.id)
            await runtime.stop(handle.id)
            done.stopped += 1
    missing: list[tuple[str, str, int, list[LiveReplica]]] = []
    drop: list[str] = []
    existing = [h for h in existing if h.replica < SESSION_INDEX]
    for (agent, env), d in wanted.items():
        version = store.version(agent, d.revision)
        if version is None:
            continue
        mine = [h for h in existing if (h.agent, h.env, h.revision) == (agent, env, d.revision)]
        for handle in mine:
            parts.replicas.admit(handle)
        answers = await asyncio.gather(
            *(
                parts.relay.ping(h.endpoint, timeout=1.0, keep=not h.address)
                for h in mine
                if h.running
            )
        )
        answered = iter(answers)
        keep: list[LiveReplica] = []
        for handle in mine:
            healthy = handle.running and next(answered)
            if healthy and len(keep) < d.replicas:
                keep.append(LiveReplica(await parts.replicas.reach(handle), state="healthy"))
            else:  # dead, not answering, or more than the deployment asks for
                drop.append(handle.id)
        done.adopted += len(keep)
        parts.pools.put(Pool(agent, env, d.revision, keep, d.max_concurrency))
        if len(keep) < d.replicas:
            missing.append((agent, env, d.replicas - len(keep), keep))
    adopted()
    for replica_id in drop:
        await runtime.stop(replica_id)
        done.stopped += 1
    for agent, env, count, keep in missing:
        log.info("starting %d replica(s) of %s/%s", count, agent, env)
        async with parts.lock(agent):
            try:
                await parts.top_up(agent, env, keep)
                done.started += count
            except Exception:
                log.exception("could not restore %s/%s", agent, env)
                done.failed.append(f"{agent}/{env}")
    return done
