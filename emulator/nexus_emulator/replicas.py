"""Replicas of a version: start them, wait until each answers ``GET /ping``, stop them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from nexus_api.deploy import Size
from nexus_emulator.config import EmulatorConfig
from nexus_emulator.logrecords import as_text
from nexus_emulator.pools import LiveReplica, Pool
from nexus_emulator.relay import Relay
from nexus_emulator.runtime.base import (
    Artifact,
    ReplicaFailed,
    ReplicaHandle,
    ReplicaSpec,
    Runtime,
)
from nexus_emulator.store.db import VersionRow

log = logging.getLogger("nexus_emulator.replicas")
Emit = Callable[[str], None]
ADDRESS_PROBE_TIMEOUT = 1.0  # seconds a replica's own address has to answer /ping once
# seconds between a new replica's /ping attempts: short at first (a refusal costs little),
# then longer for replicas slow to start (the process runtime's virtualenvs)
POLL_FIRST, POLL_LAST = 0.005, 0.025
# seconds after which a new replica that has not answered at its address is asked at its
# published port too (the address may not be routed to this host: a rootless engine)
PUBLISHED_TOO_AFTER = 1.0


SecretsFn = Callable[[str, str], dict[str, str]]
# (agent, env, revision, replica index) -> what platform.json of that replica holds
PlatformFn = Callable[[str, str, int, int], dict[str, Any]]


class Replicas:
    def __init__(
        self,
        config: EmulatorConfig,
        runtime: Runtime,
        relay: Relay,
        secrets: SecretsFn | None = None,
        platform: PlatformFn | None = None,
    ) -> None:
        self.config = config
        self.runtime = runtime
        self.relay = relay
        self.secrets: SecretsFn = secrets or (lambda _agent, _env: {})
        self.platform: PlatformFn = platform or (lambda _a, _e, _r, _i: {})
        self._owners: dict[str, str] = {}  # endpoint -> the replica last admitted there

    def admit(self, handle: ReplicaHandle) -> None:
        """Let the relay present this replica's secret when it calls it."""
        secret = self.platform(handle.agent, handle.env, handle.revision, handle.replica).get(
            "replica_secret"
        )
        for endpoint in (handle.endpoint, handle.address):
            if endpoint:
                self._owners[endpoint] = handle.id
            if secret and endpoint:
                self.relay.admit(endpoint, secret)

    def owner(self, endpoint: str) -> str | None:
        """The replica last started at ``endpoint``: a dead replica's address (or port) may
        be given to a new one."""
        return self._owners.get(endpoint)

    async def reach(self, handle: ReplicaHandle) -> ReplicaHandle:
        """The handle the emulator calls from now on: at the replica's own address when it has
        one and answers there healthy (no published-port proxy in between), else as started.

        Asked once per replica, once it answered on its published port; the address is not
        tried with ``NEXUS_REPLICA_ROUTE=published``.
        """
        if not handle.address or self.config.replica_route == "published":
            return handle
        if await self.relay.ping(handle.address, timeout=ADDRESS_PROBE_TIMEOUT, keep=False):
            return replace(handle, endpoint=handle.address)
        log.info(
            "replica %s does not answer at %s from here: called through %s",
            handle.id,
            handle.address,
            handle.endpoint,
        )
        return handle

    async def start(
        self,
        agent: str,
        env: str,
        version: VersionRow,
        size: Size,
        emit: Emit,
        keep: list[LiveReplica] | None = None,
    ) -> Pool:
        """Start ``size.replicas`` replicas (counting ``keep``) and wait until all are healthy.

        On any failure the replicas started here are stopped again; a replica that
        exits or never answers raises ReplicaFailed with its last log lines.
        """
        secrets = self.secrets(agent, env)
        keep = keep or []
        count = size.replicas
        used = {r.handle.replica for r in keep}
        indexes = [i for i in range(count + len(used)) if i not in used][: count - len(keep)]
        specs = [self._spec(agent, env, version, size, secrets, i) for i in indexes]
        results = await asyncio.gather(
            *(self._start_one(s, emit) for s in specs), return_exceptions=True
        )
        started = [r for r in results if isinstance(r, LiveReplica)]
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            await asyncio.gather(*(self.stop(r) for r in started))
            raise failures[0]
        return Pool(agent, env, version.revision, keep + started, size.max_concurrency)

    def _spec(
        self,
        agent: str,
        env: str,
        version: VersionRow,
        size: Size,
        secrets: dict[str, str],
        index: int,
    ) -> ReplicaSpec:
        return ReplicaSpec(
            agent=agent,
            env=env,
            revision=version.revision,
            replica=index,
            artifact=Artifact(version.artifact, version.digest, version.base),
            nano_cpus=size.cpu.nano_cpus,
            memory_bytes=size.memory.bytes,
            environment={
                "NEXUS_AGENT_NAME": agent,
                "NEXUS_ENV": env,
                "NEXUS_VERSION": version.label,
                "NEXUS_REVISION": str(version.revision),
                # its /ping answers HealthyBusy at this many calls at once
                **(
                    {"NEXUS_MAX_CONCURRENCY": str(size.max_concurrency)}
                    if size.max_concurrency
                    else {}
                ),
            },
            secrets=secrets,
            platform=self.platform(agent, env, version.revision, index),
            network=size.network,
        )

    async def start_at(
        self, agent: str, env: str, version: VersionRow, size: Size, index: int, emit: Emit
    ) -> LiveReplica:
        """One replica with its own index (a session's, sessions.py), healthy or raising."""
        rs = self._spec(agent, env, version, size, self.secrets(agent, env), index)
        return await self._start_one(rs, emit)

    async def _start_one(self, rs: ReplicaSpec, emit: Emit) -> LiveReplica:
        t0 = time.monotonic()  # healthy_after counts the container's start too
        handle = await self.runtime.start(rs)
        self.admit(handle)
        live = LiveReplica(handle)
        deadline = t0 + self.config.replica_timeout
        next_check = t0 + 0.5
        both_after = time.monotonic() + PUBLISHED_TOO_AFTER
        targets = [self._first_target(handle)]
        pause = POLL_FIRST
        while True:
            answers = await asyncio.gather(*(self._probe(handle, t) for t in targets))
            found = zip(targets, answers, strict=True)
            healthy = next((target for target, (answer, _) in found if answer), None)
            if healthy is not None:
                # at the published port only: the address once more, as an adopted replica's
                live.handle = (
                    replace(handle, endpoint=healthy)
                    if healthy != handle.endpoint
                    else await self.reach(handle)
                )
                live.state = "healthy"
                live.healthy_after = time.monotonic() - t0
                emit(
                    f"replica {rs.replica + 1} healthy in {live.healthy_after:.2f} s "
                    f"({live.handle.endpoint})"
                )
                return live
            now = time.monotonic()
            if handle.endpoint not in targets and (
                now > both_after or not all(reachable for _, reachable in answers)
            ):
                targets.append(handle.endpoint)  # the address may not be routed here
            if now > deadline or (now > next_check and not await self.runtime.running(handle.id)):
                tail = as_text(await self.runtime.logs(handle.id, tail=30))
                await self.runtime.stop(handle.id)
                why = (
                    "it exited"
                    if now <= deadline
                    else f"no answer to /ping within {self.config.replica_timeout:.0f} s"
                )
                raise ReplicaFailed(f"replica {rs.replica + 1}: {why}", tail)
            if now > next_check:
                next_check = now + 0.5
            await asyncio.sleep(pause)
            pause = min(POLL_LAST, pause * 1.25)

    def _first_target(self, handle: ReplicaHandle) -> str:
        """Where a new replica is asked for /ping first: its own address, which calls go to
        (refused at once until the replica listens, where the published port's proxy may
        accept a connection and hold it until a timeout), else its published endpoint."""
        if handle.address and self.config.replica_route != "published":
            return handle.address
        return handle.endpoint

    async def _probe(
        self, handle: ReplicaHandle, target: str
    ) -> tuple[dict[str, Any] | None, bool]:
        # no connection kept to a published port that calls will not use (see reach)
        keep = target != handle.endpoint or not handle.address
        return await self.relay.probe(target, timeout=0.5, keep=keep)

    async def stop(self, live: LiveReplica) -> None:
        live.state = "stopped"
        try:
            await self.runtime.stop(live.handle.id)
        except Exception:  # a replica that cannot be stopped must not fail the caller
            log.exception("could not stop replica %s", live.handle.id)

    async def stop_pool(self, pool: Pool) -> None:
        # let requests already relayed to the old replicas finish (briefly)
        for _ in range(50):
            if not any(r.in_flight for r in pool.replicas):
                break
            await asyncio.sleep(0.1)
        await asyncio.gather(*(self.stop(r) for r in pool.replicas))
