"""What the emulator needs from a runtime backend (docker, process).

A runtime builds an immutable artifact for a version (an image, or a
directory with a virtualenv), starts and stops replicas of it, and reads
their logs. It knows nothing of environments, routing or the state store:
the deployer drives it. Health is checked by the deployer over HTTP
(``GET /ping`` of the runtime contract), the same for every runtime.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nexus_api.models import Usage

LogFn = Callable[[str], None]

# Labels (docker) / metadata (process) every replica carries, so the emulator
# can find its replicas again after a restart.
LABEL_AGENT = "dev.nexus.agent"
LABEL_ENV = "dev.nexus.env"
LABEL_REVISION = "dev.nexus.revision"
LABEL_REPLICA = "dev.nexus.replica"
LABEL_HOME = "dev.nexus.home"  # NEXUS_HOME of the emulator that owns it
LABEL_MOUNT = "dev.nexus.mount"  # on an image: hot reload, bind this host directory at /app


class RuntimeUnavailable(Exception):
    """The backend does not answer (no Docker engine, socket not reachable)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class BuildFailed(Exception):
    """The build ran and failed; ``tail`` holds its last output lines, ``hint`` what to do
    when the build knows better than "fix the error"."""

    def __init__(self, message: str, tail: list[str], hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.tail = tail
        self.hint = hint


class ReplicaFailed(Exception):
    """A replica could not be started; ``tail`` holds its last log lines."""

    def __init__(self, message: str, tail: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.tail = tail or []


@dataclass(frozen=True)
class BuildSpec:
    agent: str
    revision: int
    source_dir: Path  # the extracted project (contains nexus.toml)
    entrypoint: str  # module:Class
    dependencies: list[str] = field(default_factory=list)
    python: str | None = None  # wanted Python version, e.g. "3.11"
    base_image: str | None = None  # asked for by the deploy; else the runtime's choice
    image: str | None = None  # a prebuilt image (--image): resolve, do not build
    mount: Path | None = None  # hot reload: run this host directory in place, re-import on change


@dataclass(frozen=True)
class Artifact:
    """What a build produced; stored with the version, enough to start replicas."""

    ref: str  # image reference (docker) or artifact directory (process)
    digest: str  # sha256:... of the image / of the artifact's inputs
    base: str | None = None  # base image used, when built


@dataclass(frozen=True)
class ReplicaSpec:
    agent: str
    env: str
    revision: int
    replica: int  # index within the deployment, 0-based
    artifact: Artifact
    nano_cpus: int | None = None
    memory_bytes: int | None = None
    environment: dict[str, str] = field(default_factory=dict)  # injected env vars
    # secrets reach the agent's os.environ without ever being part of the container's
    # environment or an image: see each runtime's start()
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    # the replica's credentials (workload token, the secret the emulator presents to it),
    # handed over as the file NEXUS_PLATFORM_FILE names, the same way as secrets
    platform: dict[str, Any] = field(default_factory=dict, repr=False)
    # egress: "public" (the platform and the internet) or "platform" (its endpoint only)
    network: str = "public"


@dataclass(frozen=True)
class ReplicaHandle:
    id: str  # container id, or "pid:<n>" for processes
    endpoint: str  # http://127.0.0.1:PORT, the runtime contract's server
    agent: str
    env: str
    revision: int
    replica: int
    running: bool = True
    files: str | None = None  # the host folder of its secrets and platform.json
    # docker: http://IP:PORT, the container's own address on the agents' network, which a
    # Linux engine's host reaches without the published port's proxy ("" when there is
    # none, or the engine's bridge is not the host's: Docker Desktop). The emulator calls
    # it instead of ``endpoint`` when it answers there (replicas.py, ``Replicas.reach``).
    address: str = ""


class Runtime(ABC):
    name: str
    isolation: str  # one plain sentence for `status`
    # whether ``network = "platform"`` is enforced, said plainly for `status`
    egress: str = "not enforced: a replica reaches whatever the emulator's host reaches"

    @abstractmethod
    async def check(self) -> None:
        """Return when the backend answers, else raise RuntimeUnavailable."""

    @abstractmethod
    async def build(self, spec: BuildSpec, log: LogFn) -> Artifact:
        """Build (or resolve, for ``spec.image``) the artifact; raise BuildFailed."""

    @abstractmethod
    async def start(self, spec: ReplicaSpec) -> ReplicaHandle:
        """Start one replica and return at once (health is checked by the caller)."""

    @abstractmethod
    async def stop(self, handle_id: str) -> None:
        """Stop and remove one replica; no error when it is already gone."""

    @abstractmethod
    async def replicas(self) -> list[ReplicaHandle]:
        """Replicas of this emulator (its NEXUS_HOME) that exist now, running or not."""

    @abstractmethod
    async def logs(self, handle_id: str, tail: int = 50, since: float | None = None) -> list[str]:
        """The last lines a replica wrote (stdout and stderr); ``since`` (unix time) may
        leave out older ones where the backend can tell (callers still filter by time)."""

    async def running(self, handle_id: str) -> bool:
        """Whether the replica is still running (used to fail a rollout early)."""
        return any(h.id == handle_id and h.running for h in await self.replicas())

    async def follow(
        self, handle_id: str, from_start: bool = False, since: float | None = None
    ) -> AsyncIterator[str]:
        """Lines the replica writes from now on (or from its first line), until it stops.

        The log is opened at the first step, before any await, where the backend allows;
        ``since`` (unix time) lets a backend that opens later start from that time."""
        seen = 0 if from_start else len(await self.logs(handle_id, tail=100_000))
        while await self.running(handle_id):  # fallback: poll the whole log
            await asyncio.sleep(0.5)
            lines = await self.logs(handle_id, tail=100_000)
            for line in lines[seen:]:
                yield line
            seen = len(lines)

    async def usage(self, handle_id: str) -> Usage | None:
        """Its processes and memory against its limits, where the backend measures them."""
        return None

    async def platform_address(self) -> tuple[str, str] | None:
        """How replicas reach the emulator: None when they share the host's loopback;
        else (address to listen on, "" for the main listener; host name replicas use)."""
        return None

    async def remove_artifact(self, artifact: Artifact) -> None:  # noqa: B027
        """Free what a version's artifact holds (an image, a directory). Optional."""

    async def remove_artifacts(self) -> None:  # noqa: B027
        """Free every artifact of this home, recorded or not (reset). Optional."""

    async def collect(self, keep: set[str]) -> list[str]:
        """Free the artifacts of this home whose ref is not in ``keep`` (no version records
        them); return what went. Optional."""
        return []

    async def close(self) -> None:  # noqa: B027
        """Release clients; replicas keep running."""
