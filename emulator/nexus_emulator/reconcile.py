"""After a start: adopt the replicas that still run, restart the missing, stop strays."""

from __future__ import annotations

import logging

from nexus_emulator.deployer import Deployer
from nexus_emulator.outcomes import Reconciled
from nexus_emulator.pools import LiveReplica, Pool

log = logging.getLogger("nexus_emulator.reconcile")


async def reconcile(deployer: Deployer) -> Reconciled:
    store, runtime = deployer.store, deployer.runtime
    done = Reconciled()
    existing = await runtime.replicas()
    wanted = {(d.agent, d.env): d for d in store.deployments()}
    for handle in existing:
        d = wanted.get((handle.agent, handle.env))
        if d is None or handle.revision != d.revision or not handle.running:
            log.info("stopping stray replica %s", handle.id)
            await runtime.stop(handle.id)
            done.stopped += 1
    for (agent, env), d in wanted.items():
        version = store.version(agent, d.revision)
        if version is None:
            continue
        keep: list[LiveReplica] = []
        for handle in existing:
            if (handle.agent, handle.env, handle.revision) != (agent, env, d.revision):
                continue
            deployer.replicas.admit(handle)
            healthy = handle.running and await deployer.relay.ping(handle.endpoint, timeout=1.0)
            if healthy and len(keep) < d.replicas:
                keep.append(LiveReplica(handle, state="healthy"))
            else:  # dead, not answering, or more than the deployment asks for
                await runtime.stop(handle.id)
                done.stopped += 1
        done.adopted += len(keep)
        deployer.pools.put(Pool(agent, env, d.revision, keep))
        if len(keep) < d.replicas:
            log.info("starting %d replica(s) of %s/%s", d.replicas - len(keep), agent, env)
            async with deployer.lock(agent):
                try:
                    await deployer.top_up(agent, env, keep)
                    done.started += d.replicas - len(keep)
                except Exception:
                    log.exception("could not restore %s/%s", agent, env)
                    done.failed.append(f"{agent}/{env}")
    return done
