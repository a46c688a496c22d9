"""After a start: adopt the replicas that still run, restart the missing, stop strays."""

from __future__ import annotations

import logging

from nexus_emulator.deployer import DEFAULT_CPU, DEFAULT_MEMORY, Deployer
from nexus_emulator.pools import LiveReplica, Pool

log = logging.getLogger("nexus_emulator.reconcile")


async def reconcile(deployer: Deployer) -> None:
    store, runtime = deployer.store, deployer.runtime
    existing = await runtime.replicas()
    wanted = {(d.agent, d.env): d for d in store.deployments()}
    for handle in existing:
        d = wanted.get((handle.agent, handle.env))
        if d is None or handle.revision != d.revision or not handle.running:
            log.info("stopping stray replica %s", handle.id)
            await runtime.stop(handle.id)
    for (agent, env), d in wanted.items():
        version = store.version(agent, d.revision)
        if version is None:
            continue
        keep: list[LiveReplica] = []
        for handle in existing:
            if (handle.agent, handle.env, handle.revision) != (agent, env, d.revision):
                continue
            if not handle.running or len(keep) >= d.replicas:
                continue
            live = LiveReplica(handle)
            if await deployer.relay.ping(handle.endpoint, timeout=1.0):
                live.state = "healthy"
                keep.append(live)
            else:
                await runtime.stop(handle.id)
        deployer.pools.put(Pool(agent, env, d.revision, keep))
        if len(keep) < d.replicas:
            log.info("starting %d replica(s) of %s/%s", d.replicas - len(keep), agent, env)
            async with deployer.lock(agent):
                try:
                    pool = await deployer.start_pool(
                        agent,
                        env,
                        version,
                        d.replicas,
                        d.cpu or DEFAULT_CPU,
                        d.memory or DEFAULT_MEMORY,
                        lambda msg: log.info("%s", msg),
                        keep=keep,
                    )
                except Exception:
                    log.exception("could not restore %s/%s", agent, env)
                    continue
                deployer.pools.put(pool)
