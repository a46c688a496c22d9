"""The Docker runtime: agent images built locally, one hardened container per replica.

The docker SDK is imported lazily and its blocking calls run in worker
threads; build output reaches ``log`` on the event loop's thread, in order.
What a replica container is (its hardened options) is docker_replica.py; the
image build docker_build.py, image removal docker_cleanup.py, output docker_logs.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nexus_api.models import Usage

from ._egress import (
    LABEL_HOLDER,
    LABEL_NETNS,
    EgressUnavailable,
    platform_target,
    remove_holder,
    seal,
    sealing_problem,
    start_holder,
)
from ._network import NETWORK, ensure_network, is_desktop, platform_address, quick_platform_address
from ._secrets import (
    LABEL_SECRETS,
    PLATFORM_FILE,
    SECRETS_MOUNT,
    remove_secrets,
    write_secrets,
)
from .base import (
    LABEL_HOME,
    LABEL_MOUNT,
    Artifact,
    BuildSpec,
    LogFn,
    ReplicaFailed,
    ReplicaHandle,
    ReplicaSpec,
    Runtime,
    RuntimeUnavailable,
)
from .docker_build import build_image
from .docker_cleanup import collect_images, remove_home_images, remove_image
from .docker_logs import follow_lines, last_lines, text_lines
from .docker_replica import (
    container_name,
    handle_of,
    host_port,
    mount_project,
    mount_secrets,
    run_options,
)
from .dockerfile import PORT, UID
from .engine import UNAVAILABLE_HINT, engine_json, ping_engine
from .images import LOCAL_BASE
from .usage import from_stats
from .wheels import TAIL_LINES, threadsafe_log

log = logging.getLogger("nexus_emulator.runtime.docker")
ORPHAN_AFTER = 60  # seconds: a holder older than this without its replica is removed
STOP_TIMEOUT = 7  # seconds between SIGTERM and SIGKILL (the SDK drains for up to 5 s)


class DockerRuntime(Runtime):
    name = "docker"
    isolation = (
        "docker: each replica is a container running as an unprivileged user with a read-only "
        "root filesystem, all capabilities dropped, no-new-privileges, pids/CPU/memory limits "
        "and its port bound to 127.0.0.1, on a network where replicas cannot reach each other"
    )
    egress = "enforced: a platform-only replica's firewall lets out the platform endpoint only"

    def __init__(
        self, home: Path, *, base_image: str | None = None, sdk_dir: Path | None = None
    ) -> None:
        self.home = Path(home).resolve()
        self.base_image = base_image
        self.sdk_dir = sdk_dir  # holds the `nexus` package; default: the installed SDK
        self._client: Any = None
        self._engine_os: str | None = None
        self._mounts: dict[str, str | None] = {}  # image ID -> its LABEL_MOUNT (see _mount)
        self._home_label = f"{LABEL_HOME}={self.home}"  # on its containers and images

    # ------------------------------------------------------------------ plumbing

    def client(self) -> Any:
        if self._client is None:
            import docker
            from docker.errors import DockerException

            try:
                self._client = docker.from_env()
            except DockerException as exc:
                raise RuntimeUnavailable(
                    f"cannot reach the Docker engine: {exc}", UNAVAILABLE_HINT
                ) from exc
        return self._client

    async def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a blocking SDK call in a worker thread (imports happen there too)."""

        def guarded() -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                # requests comes with the SDK: when neither is imported yet (a call that
                # did without them), the error cannot be requests'
                errors = sys.modules.get("requests.exceptions")
                if errors is not None and isinstance(exc, errors.ConnectionError):
                    raise RuntimeUnavailable(
                        f"lost the Docker engine: {exc}", UNAVAILABLE_HINT
                    ) from exc
                raise

        return await asyncio.to_thread(guarded)

    async def check(self) -> None:
        problem = await asyncio.to_thread(ping_engine)
        if problem:
            raise RuntimeUnavailable(problem, UNAVAILABLE_HINT)

    async def platform_address(self) -> tuple[str, str] | None:
        result: tuple[str, str] | None = await self._call(self._platform_address_sync)
        return result

    def _engine(self) -> str:
        """The engine's OperatingSystem (``docker info``), asked once; without the SDK
        where the engine allows (see engine.py)."""
        if self._engine_os is None:
            try:
                info = engine_json("/info")
            except (OSError, ValueError):
                info = None
            if info is not None and info[0] == 200 and isinstance(info[1], dict):
                self._engine_os = str(info[1].get("OperatingSystem", ""))
            else:
                self._engine_os = str(self.client().info().get("OperatingSystem", ""))
        return self._engine_os

    def _address(self, attrs: dict[str, Any]) -> str:
        """``http://IP:PORT`` of a container on the agents' network; "" when it has none, or
        the host has no route to it (Docker Desktop runs the engine in a VM)."""
        networks = (attrs.get("NetworkSettings") or {}).get("Networks") or {}
        ip = (networks.get(NETWORK) or {}).get("IPAddress")
        return f"http://{ip}:{PORT}" if ip and not is_desktop(self._engine()) else ""

    def _platform_address_sync(self) -> tuple[str, str] | None:
        try:
            return quick_platform_address()  # no SDK import before the emulator is ready
        except LookupError:
            return platform_address(self.client())

    async def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # ------------------------------------------------------------------ build

    async def build(self, spec: BuildSpec, log: LogFn) -> Artifact:
        emit = threadsafe_log(log)
        artifact: Artifact = await self._call(
            lambda: build_image(
                self.client(),
                self.home,
                spec,
                emit,
                base_image=self.base_image,
                sdk_dir=self.sdk_dir,
            )
        )
        return artifact

    # ------------------------------------------------------------------ replicas

    async def start(self, spec: ReplicaSpec) -> ReplicaHandle:
        handle: ReplicaHandle = await self._call(self._start_sync, spec)
        return handle

    def _mount(self, client: Any, image: str) -> str | None:
        """The host directory a dev image asks to run (its LABEL_MOUNT), if any; asked once
        per image ID (an ID names the same content for ever)."""
        from docker.errors import DockerException

        if image in self._mounts:
            return self._mounts[image]
        try:
            labels = client.images.get(image).labels or {}
        except DockerException:
            return None  # a missing image is reported by the start itself
        mount = str(labels[LABEL_MOUNT]) if labels.get(LABEL_MOUNT) else None
        if image.startswith("sha256:"):
            self._mounts[image] = mount
        return mount

    def _start_sync(self, spec: ReplicaSpec) -> ReplicaHandle:
        from docker.errors import APIError, ImageNotFound

        client = self.client()
        name = container_name(spec)
        options = run_options(spec, self.home, name, ensure_network(client).name)
        labels = options["labels"]
        digest = spec.artifact.digest
        image = digest if digest.startswith("sha256:") else spec.artifact.ref
        if spec.secrets or spec.platform:
            mount_secrets(options, write_secrets(self.home, name, spec.secrets, UID, spec.platform))
        project = self._mount(client, image)
        if project:
            mount_project(options, project)
        try:
            holder = self._sealed_holder(spec, name, options)
        except BaseException:
            remove_secrets(labels.get(LABEL_SECRETS))
            raise
        try:
            container = client.containers.run(image, **options)
        except (ImageNotFound, APIError) as exc:
            remove_secrets(labels.get(LABEL_SECRETS))
            remove_holder(client, holder and holder.name)
            if isinstance(exc, ImageNotFound):
                raise ReplicaFailed(f"image {image} of {spec.artifact.ref} is gone: {exc}") from exc
            raise ReplicaFailed(f"could not start {name}: {exc.explanation or exc}") from exc
        published = holder or container  # the network's owner publishes the port
        deadline = time.monotonic() + 5
        looked = False  # what run() returns was read before the start: look again at once
        while True:
            port = host_port(published.attrs.get("NetworkSettings", {}).get("Ports"))
            if port:
                handle = handle_of(
                    container.id, container.attrs, f"http://127.0.0.1:{port}", running=True
                )  # the address is the network owner's too
                return replace(handle, address=self._address(published.attrs))
            if container.status in ("exited", "dead") or time.monotonic() > deadline:
                tail = text_lines(container.logs(tail=TAIL_LINES))
                container.remove(force=True)
                remove_secrets(labels.get(LABEL_SECRETS))
                remove_holder(client, holder and holder.name)
                raise ReplicaFailed(f"{name} exited before it published its port", tail)
            if looked:
                time.sleep(0.02)
            looked = True
            container.reload()
            if published is not container:
                published.reload()

    def _sealed_holder(self, spec: ReplicaSpec, name: str, options: dict[str, Any]) -> Any:
        """The network namespace of a replica that needs one (see _egress), its firewall set;
        None for a public replica of an image built on the SDK (it checks its secret)."""
        platform_only = spec.network == "platform"
        # a prebuilt image (no base of ours) does not check the replica secret itself
        guard = spec.artifact.base is None and bool(spec.platform.get("replica_secret"))
        if not (platform_only or guard):
            return None
        target = platform_target(spec.platform.get("platform_url")) if platform_only else None
        client = self.client()
        problem = sealing_problem(self._engine())
        if problem and platform_only:
            raise EgressUnavailable(f'network = "platform" cannot be enforced here: {problem}')
        if problem:
            log.warning("%s answers callers without the replica secret: %s", name, problem)
            return None
        image = self.base_image or LOCAL_BASE  # no base of its own: the runtime's
        image = spec.artifact.base or image
        guarded = f"{SECRETS_MOUNT}/{PLATFORM_FILE}" if guard else None
        try:
            holder = start_holder(client, name, options, image, guarded)
        except EgressUnavailable as exc:  # no base image to hold the network
            if platform_only:
                raise
            log.warning("%s answers callers without the replica secret: %s", name, exc.message)
            return None
        try:
            seal(int(holder.attrs["State"]["Pid"]), target, guard)
        except BaseException:
            holder.remove(force=True)
            raise
        return holder

    async def stop(self, handle_id: str) -> None:
        await self._call(self._stop_sync, handle_id)

    def _stop_sync(self, handle_id: str) -> None:
        from docker.errors import NotFound

        client = self.client()
        try:
            container = client.containers.get(handle_id)
            if container.status == "running":
                container.stop(timeout=STOP_TIMEOUT)
            container.remove(force=True)
        except NotFound:
            return
        remove_secrets((container.labels or {}).get(LABEL_SECRETS))
        remove_holder(client, (container.labels or {}).get(LABEL_NETNS))

    async def replicas(self) -> list[ReplicaHandle]:
        handles: list[ReplicaHandle] = await self._call(self._replicas_sync)
        return handles

    @staticmethod
    def _engine_list(kind: str, label: str) -> list[dict[str, Any]] | None:
        """The engine's list of ``kind`` (containers, images) with ``label``, read without
        the docker SDK when the engine allows (see engine.py); None when it does not."""
        wanted = quote(json.dumps({"label": [label]}))
        try:
            answer = engine_json(f"/{kind}/json?all=1&filters={wanted}")
        except (OSError, ValueError):
            return None
        if answer is not None and answer[0] == 200 and isinstance(answer[1], list):
            return answer[1]
        return None

    def _listed_none(self, kind: str, label: str) -> bool:
        return self._engine_list(kind, label) == []

    def _listed(self) -> list[dict[str, Any]]:
        """This home's containers as the engine lists them (``GET /containers/json``): the
        start looks for the replicas of the last run before it is ready, without the SDK."""
        home = self._home_label
        found = self._engine_list("containers", home)
        if found is not None:
            return found
        listed = self.client().containers.list(all=True, sparse=True, filters={"label": home})
        return [c.attrs for c in listed]

    def _replicas_sync(self) -> list[ReplicaHandle]:
        found = self._listed()
        holders = {  # platform-only replicas' ports and addresses are their holders'
            (c.get("Labels") or {}).get(LABEL_HOLDER): c
            for c in found
            if LABEL_HOLDER in (c.get("Labels") or {})
        }
        handles = []
        named = {n.lstrip("/") for c in found for n in c.get("Names") or []}
        for container in found:
            labels = container.get("Labels") or {}
            if LABEL_HOLDER in labels:
                # a holder whose replica never started or went without it (a crash between)
                if labels[LABEL_HOLDER] not in named and container.get("Created", 0) < (
                    time.time() - ORPHAN_AFTER
                ):
                    remove_holder(self.client(), container["Id"])
                continue
            names = [n.lstrip("/") for n in container.get("Names") or []]
            held = next((holders[n] for n in names if n in holders), None)
            owner = container if held is None else held
            ports = owner.get("Ports") or []
            port = next(
                (
                    p.get("PublicPort")
                    for p in ports
                    if p.get("PrivatePort") == PORT and p.get("IP") in ("127.0.0.1", None)
                ),
                None,
            )
            running = container.get("State") == "running"
            endpoint = f"http://127.0.0.1:{port}" if port and running else ""
            handle = handle_of(container["Id"], container, endpoint, running)
            handles.append(replace(handle, address=self._address(owner) if running else ""))
        return handles

    async def running(self, handle_id: str) -> bool:
        result: bool = await self._call(self._running_sync, handle_id)
        return result

    def _running_sync(self, handle_id: str) -> bool:
        """Asked before each call of a session (sessions.py): the engine's own answer over its
        socket takes about 0.2 ms, the SDK's 15 ms on a loaded machine."""
        from docker.errors import NotFound

        try:
            answer = engine_json(f"/containers/{quote(handle_id)}/json")
        except (OSError, ValueError):
            answer = None
        if answer is not None and answer[0] == 404:
            return False
        if answer is not None and answer[0] == 200 and isinstance(answer[1], dict):
            return bool(answer[1].get("State", {}).get("Running"))
        try:
            return bool(self.client().containers.get(handle_id).status == "running")
        except NotFound:
            return False

    async def usage(self, handle_id: str) -> Usage | None:
        stats: dict[str, Any] | None = await self._call(self._stats_sync, handle_id)
        return None if stats is None else from_stats(stats)

    def _stats_sync(self, handle_id: str) -> dict[str, Any] | None:
        from docker.errors import NotFound

        try:
            stats: dict[str, Any] = self.client().api.stats(handle_id, stream=False, one_shot=True)
        except NotFound:
            return None
        return stats

    async def remove_artifact(self, artifact: Artifact) -> None:
        if artifact.base is None:
            return  # a user's own image (--image): never ours to delete
        await self._call(lambda: remove_image(self.client().images, artifact))

    async def remove_artifacts(self) -> None:
        await self._call(lambda: remove_home_images(self.client().images, self._home_label))

    async def collect(self, keep: set[str]) -> list[str]:
        def collect_sync() -> list[str]:
            if self._listed_none("images", self._home_label):
                return []  # nothing of this home's (a first start): no SDK needed
            return collect_images(self.client().images, self._home_label, keep)

        gone: list[str] = await self._call(collect_sync)
        return gone

    # ------------------------------------------------------------------ logs

    async def logs(self, handle_id: str, tail: int = 50, since: float | None = None) -> list[str]:
        lines: list[str] = await self._call(
            lambda: last_lines(self.client(), handle_id, tail, since)
        )
        return lines

    def follow(
        self, handle_id: str, from_start: bool = False, since: float | None = None
    ) -> AsyncIterator[str]:
        return follow_lines(self._call, self.client, handle_id, from_start, since)
