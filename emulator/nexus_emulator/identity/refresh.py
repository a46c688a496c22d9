"""Workload tokens stay fresh: each live replica's ``platform.json`` is rewritten with a
new token once a third of the old one's lifetime is left (no restart; the SDK re-reads
the file when it changes)."""

from __future__ import annotations

import asyncio
import logging
import time

from nexus_emulator.identity.service import Identity
from nexus_emulator.pools import Pools
from nexus_emulator.runtime import refresh_platform

log = logging.getLogger("nexus_emulator.identity")


async def keep_fresh(pools: Pools, identity: Identity) -> None:
    interval = min(30.0, identity.workload_ttl / 6)
    expires: dict[str, float] = {}  # replica id -> when the token it holds expires
    while True:
        # the first round runs at once: replicas adopted after a restart learn the new
        # platform URL (the replicas' listener gets a new port at each start)
        try:
            await refresh_due(pools, identity, expires)
        except Exception:  # the next round tries again; replicas keep their current token
            log.exception("refreshing workload tokens failed")
        await asyncio.sleep(interval)


async def refresh_due(pools: Pools, identity: Identity, expires: dict[str, float]) -> int:
    """Give a new token to every replica whose token is due; how many were refreshed."""
    now = time.time()
    seen: set[str] = set()
    done = 0
    for pool in pools.all():
        for replica in pool.replicas:
            handle = replica.handle
            seen.add(handle.id)
            if handle.files is None or replica.state == "stopped":
                continue
            if now < expires.get(handle.id, 0) - identity.workload_ttl / 3:
                continue
            data = identity.platform_file(handle.agent, handle.env, handle.revision, handle.replica)
            if await asyncio.to_thread(refresh_platform, handle.files, data):
                expires[handle.id] = data["expires_at"]
                done += 1
    for gone in set(expires) - seen:
        del expires[gone]
    return done
