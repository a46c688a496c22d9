"""Deploy, roll back and delete agents; bring replicas back after a restart.

A deploy builds an immutable version, starts its replicas beside the ones
serving, waits until every new replica answers ``/ping``, then switches the
environment to it in one transaction and stops the old replicas. Anything
that fails before the switch leaves the previous version serving.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nexus.ai import spec
from nexus_api.deploy import Size
from nexus_emulator import errors, rebuild
from nexus_emulator.config import EmulatorConfig
from nexus_emulator.envs import deployment_in
from nexus_emulator.locks import AgentLocks
from nexus_emulator.order import DeployOrder, serving
from nexus_emulator.outcomes import Rollout
from nexus_emulator.pools import LiveReplica, Pool, Pools
from nexus_emulator.replicas import Replicas
from nexus_emulator.runtime.base import (
    Artifact,
    BuildFailed,
    BuildSpec,
    ReplicaFailed,
    Runtime,
)
from nexus_emulator.safetar import tarfile
from nexus_emulator.store.db import DeploymentRow, Store, VersionRow
from nexus_emulator.vault import Vault

log = logging.getLogger("nexus_emulator.deployer")
Emit = Callable[[str], None]

_BUILDER_NOISE = (" ---> ", "--->", "Removing intermediate container", "Successfully tagged")


def _build_progress(emit: Emit) -> Emit:
    """Build output as progress, without the builder's bookkeeping lines."""

    def forward(line: str) -> None:
        if line.strip() and not line.lstrip().startswith(_BUILDER_NOISE):
            emit(line)

    return forward


class Deployer:
    def __init__(
        self,
        config: EmulatorConfig,
        store: Store,
        runtime: Runtime,
        pools: Pools,
        replicas: Replicas,
        lock: AgentLocks,
        vault: Vault | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.runtime = runtime
        self.pools = pools
        self.replicas = replicas
        self.lock = lock  # shared with scaling, health and reconcile (locks.py)
        self.vault = vault

    # ------------------------------------------------------------ deploy

    async def deploy(self, order: DeployOrder, emit: Emit) -> Rollout:
        started = time.monotonic()
        async with self.lock(order.agent):
            revision = self.store.next_revision(order.agent)
            artifact = await self._build(order, revision, emit)
            version = self._same_digest(order.agent, artifact.digest)
            if version is not None and artifact.ref != version.artifact:
                await self._discard(artifact)  # same content: no r<N+1> tag or copy is kept
            current = self.store.deployment(order.agent, order.env)
            if (
                version is not None
                and current is not None
                and current.revision == version.revision
                and serving(current) == order.size
                and current.declared == order.declared_json()
                and self._pool_healthy(order.agent, order.env, current.replicas)
            ):
                emit(f"unchanged: {order.env} already serves {version.label} (r{version.revision})")
                return self._result(order.agent, order.env, version, started, unchanged=True)
            new = version is None
            if version is None:
                version = self._new_version(order, revision, artifact)
            else:
                emit(f"same content as {version.label} (r{version.revision}): reusing it")
            try:
                await self._rollout(order, version, "deploy", emit, new=new)
            except BaseException:
                if new:  # a version that never served is not kept
                    await self._discard(artifact)
                raise
            return self._result(order.agent, order.env, version, started)

    async def _build(self, order: DeployOrder, revision: int, emit: Emit) -> Artifact:
        if order.image:
            emit(f"using prebuilt image {order.image}")
            build = BuildSpec(order.agent, revision, self.config.home, "", image=order.image)
        else:
            assert order.source_id is not None
            src_dir = self.config.paths.builds / "src" / f"{order.agent}-r{revision}"
            self._unpack(order.source_id, src_dir)
            build = BuildSpec(
                agent=order.agent,
                revision=revision,
                source_dir=src_dir,
                entrypoint=order.project.entrypoint or "",
                dependencies=list(order.project.dependencies),
                python=order.project.python,
                base_image=order.project.base_image,
                mount=Path(order.project.mount) if order.project.mount else None,
            )
            emit(f"building {order.agent} r{revision} ({self.runtime.name} runtime)")
        try:
            return await self.runtime.build(build, _build_progress(emit))
        except BuildFailed as exc:
            raise errors.failed(
                f"the build of {order.agent} failed: {exc.message}; "
                + self._unchanged_note(order.agent, order.env),
                hint=exc.hint or "fix the error shown above, then deploy again",
                details=exc.tail,
            ) from None

    def _unpack(self, source_id: str, dest: Any) -> None:
        path = self.store.source_path(source_id)
        assert path is not None
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        with tarfile.open(path, "r:gz") as tar:
            tar.extractall(dest, filter="data")

    def _same_digest(self, agent: str, digest: str) -> VersionRow | None:
        for v in reversed(self.store.versions(agent)):
            if v.digest == digest:
                return v
        return None

    def _new_version(self, order: DeployOrder, revision: int, artifact: Artifact) -> VersionRow:
        """The row of a new version; stored only once its replicas are healthy."""
        label = order.label or order.project.version or f"r{revision}"
        taken = {v.label for v in self.store.versions(order.agent)}
        if label in taken:
            label = f"{label}+r{revision}"
        version = VersionRow(
            agent=order.agent,
            revision=revision,
            label=label,
            digest=artifact.digest,
            artifact=artifact.ref,
            base=artifact.base,
            source="image" if order.image else "build",
            spec=order.project.model_dump(include={"entrypoint", "dependencies", "python"}),
            created_at=time.time(),
            created_by=order.actor,
        )
        return version

    # ------------------------------------------------------------ rollback, delete

    def find_version(self, agent: str, ref: str) -> VersionRow:
        """A version by label, ``r3`` or ``3``."""
        versions = self.store.versions(agent)
        for v in versions:
            if ref in (v.label, f"r{v.revision}", str(v.revision)):
                return v
        known = [v.label for v in versions]
        close = spec.suggest(ref, known)
        raise errors.not_found(
            f"{agent} has no version {ref!r}",
            hint=(f"did you mean {close!r}? " if close else "")
            + f"nexus ai agent history {agent}  # lists its versions",
        )

    async def rollback(
        self, agent: str, env: str, ref: str | None, actor: str | None, emit: Emit
    ) -> Rollout:
        started = time.monotonic()
        async with self.lock(agent):
            current = deployment_in(self.store, agent, env)
            if ref is not None:
                target = self.find_version(agent, ref)
            else:
                earlier = [
                    e.revision
                    for e in self.store.events(agent, env)
                    if e.revision != current.revision
                ]
                if not earlier:
                    raise errors.usage(
                        f"{agent} has no earlier version in {env} to roll back to",
                        hint=f"nexus ai agent history {agent}",
                    )
                found = self.store.version(agent, earlier[-1])
                assert found is not None
                target = found
            if target.revision == current.revision:
                raise errors.usage(
                    f"{env} already serves {target.label} (r{target.revision})",
                    hint=f"nexus ai agent history {agent}  # pick another --version",
                )
            order = DeployOrder.keep(current, actor)
            await self._rollout(order, target, "rollback", emit)
            return self._result(agent, env, target, started)

    async def restart(self, agent: str, env: str, action: str, actor: str | None) -> None:
        """New replicas of the version serving (e.g. to pick up changed secrets), switched
        to only once healthy, like a deploy."""
        async with self.lock(agent):
            current = self.store.deployment(agent, env)
            version = self.store.version(agent, current.revision) if current else None
            if current is None or version is None:
                return
            order = DeployOrder.keep(current, actor)
            await self._rollout(order, version, action, lambda m: log.info("%s", m))

    async def delete(self, agent: str) -> None:
        async with self.lock(agent):
            for pool in self.pools.of_agent(agent):
                self.pools.remove(pool.agent, pool.env)
                await self.replicas.stop_pool(pool)
            self.pools.crashes.forget(agent)
            for handle in await self.runtime.replicas():
                if handle.agent == agent:
                    await self.runtime.stop(handle.id)
            for v in self.store.versions(agent):
                await self._discard(Artifact(v.artifact, v.digest, v.base))
            self.store.delete_agent(agent)
            if self.vault is not None:
                self.vault.forget(agent)

    # ------------------------------------------------------------ rollout

    async def _rollout(
        self, order: DeployOrder, version: VersionRow, action: str, emit: Emit, new: bool = False
    ) -> None:
        size = order.size
        emit(f"starting {size.replicas} replica(s) of {version.label} (r{version.revision})")
        current = self.store.deployment(order.agent, order.env)
        pool = await self.start_pool(order.agent, order.env, version, size, emit)
        row = DeploymentRow(
            agent=order.agent,
            env=order.env,
            revision=version.revision,
            replicas=size.replicas,
            cpu=size.cpu.text,
            memory=size.memory.text,
            nano_cpus=size.cpu.nano_cpus,
            memory_bytes=size.memory.bytes,
            updated_at=time.time(),
            autoscale=bool(current and current.autoscale),
            declared=order.declared_json(),
            max_concurrency=size.max_concurrency,
            max_attempts=size.max_attempts,
            network=size.network,
            isolation=size.isolation,
        )
        self.store.set_deployment(
            row, action, version.label, order.actor, new_version=version if new else None
        )
        old = self.pools.put(pool)
        emit(f"{order.env} now serves {version.label} (r{version.revision})")
        if old is not None:
            await self.replicas.stop_pool(old)

    async def top_up(
        self, agent: str, env: str, keep: list[LiveReplica], count: int | None = None
    ) -> None:
        """Start the replicas missing beside ``keep`` (up to ``count``, else the deployment's
        own count), then serve them all.

        The caller holds the agent's lock; a failure raises and leaves the pool as it was.
        """
        d = self.store.deployment(agent, env)
        version = self.store.version(agent, d.revision) if d else None
        if d is None or version is None:
            return
        size = serving(d)
        if count is not None:
            size = dataclasses.replace(size, replicas=count)
        pool = await self.start_pool(
            agent, env, version, size, lambda msg: log.info("%s", msg), keep=keep
        )
        self.pools.put(pool)

    async def start_pool(
        self,
        agent: str,
        env: str,
        version: VersionRow,
        size: Size,
        emit: Emit,
        keep: list[LiveReplica] | None = None,
    ) -> Pool:
        """Healthy replicas of ``version``, or an API error that says what keeps serving."""
        try:
            version = await rebuild.for_runtime(
                self.config, self.store, self.runtime, version, emit
            )
            return await self.replicas.start(agent, env, version, size, emit, keep)
        except ReplicaFailed as exc:
            raise errors.failed(
                f"{agent} {version.label} did not become healthy: {exc.message}; "
                + self._unchanged_note(agent, env),
                hint="fix the error shown above, then deploy again",
                details=exc.tail,
            ) from None

    async def _discard(self, artifact: Artifact) -> None:
        try:
            await self.runtime.remove_artifact(artifact)
        except Exception:  # freeing disk is best effort
            log.exception("could not remove artifact %s", artifact.ref)

    def _unchanged_note(self, agent: str, env: str) -> str:
        current = self.store.deployment(agent, env)
        if current is None:
            return f"nothing was deployed to {env}"
        v = self.store.version(agent, current.revision)
        rev = f"r{current.revision}"
        label = v.label if v else rev
        return f"{env} keeps serving {label}" + ("" if label == rev else f" ({rev})")

    def _pool_healthy(self, agent: str, env: str, count: int) -> bool:
        pool = self.pools.get(agent, env)
        return pool is not None and sum(r.state == "healthy" for r in pool.replicas) >= count

    def _result(
        self, agent: str, env: str, version: VersionRow, started: float, unchanged: bool = False
    ) -> Rollout:
        pool = self.pools.get(agent, env)
        replicas = tuple(pool.replicas) if pool else ()
        return Rollout(agent, env, version, replicas, time.monotonic() - started, unchanged)
