"""The pytest fixtures' emulator as a container (testcontainers), built offline.

The image is built FROM a local Python base (``python:3.11-slim`` when present, else
``nexus-base:bookworm-py3`` from scripts/base-image) whose Python matches the host's,
with Nexus and its dependencies installed from wheels built on the host (``pip wheel``):
nothing is downloaded inside the build. It is tagged by the wheels' content, so a second
session with the same Nexus reuses it.

The container shares the host's network, process and IPC (/dev/shm) namespaces, mounts the engine's
socket and the session's NEXUS_HOME at the same path (docs/testing.md says why): its
replicas are siblings on the host engine, reached at the addresses the emulator gives
them, and ``nexus`` commands on the host see it as the running emulator of that home.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BASES = ("python:3.11-slim", "nexus-base:bookworm-py3")
REPOSITORY = "nexus-emulator"
SOCKET = "/var/run/docker.sock"
DOCKERFILE = """\
FROM {base}
COPY wheels /tmp/wheels
RUN python3 -m venv /opt/nexus \\
 && /opt/nexus/bin/pip install --no-index --no-cache-dir --find-links /tmp/wheels {req} \\
 && rm -rf /tmp/wheels
ENV PATH=/opt/nexus/bin:$PATH HOME=/tmp
"""


class NoContainer(Exception):
    """Why the emulator cannot run as a container here (the session falls back)."""


DEFAULT_HOST = f"unix://{SOCKET}"


def engine_socket(engine_os: str, security_options: list[str], docker_host: str | None) -> str:
    """The engine's socket on this machine, which the emulator's container mounts (at
    ``/var/run/docker.sock``); NoContainer when the engine's facts rule the container out.

    The facts: ``docker info``'s OperatingSystem and SecurityOptions, and DOCKER_HOST (the
    address the docker SDK, and testcontainers, use). The container shares the host's
    network, processes and paths (module docstring), which only a rootful engine on this
    machine's own kernel gives:
    - Docker Desktop (OperatingSystem "Docker Desktop", on macOS, Windows and Linux) runs
      the engine in a VM: "host" is the VM's network there, so the tests would not reach
      the emulator at 127.0.0.1 and the emulator would not reach the replicas' ports
      published on the machine's 127.0.0.1, and its pid is not one of this machine's;
    - a rootless engine's "host" network and pids are those of its user namespace;
    - an engine elsewhere (tcp://, ssh://) cannot mount this machine's NEXUS_HOME.
    The emulator as a local process works with each of them (on Desktop it calls the
    replicas on their published ports and they reach it at host.docker.internal).
    """
    if "docker desktop" in engine_os.lower():  # as nexus_emulator tells Desktop apart
        raise NoContainer(
            "Docker Desktop runs the engine in a VM, whose network and processes a "
            "container shares instead of this machine's"
        )
    if any("name=rootless" in option for option in security_options):
        raise NoContainer("the Docker engine is rootless: its host network is not this machine's")
    address = docker_host or DEFAULT_HOST
    if not address.startswith("unix://"):
        raise NoContainer(f"the Docker engine at {address} cannot mount this machine's files")
    return address.removeprefix("unix://")


def socket_of(client: Any) -> str:
    """``engine_socket`` with the facts of the engine ``client`` speaks to."""
    info = client.info()
    return engine_socket(
        str(info.get("OperatingSystem", "")),
        [str(option) for option in info.get("SecurityOptions") or []],
        os.environ.get("DOCKER_HOST") or None,
    )


def _requirement() -> str:
    """What ``pip wheel`` builds: the source folder Nexus was installed from, else its
    released version."""
    dist = importlib.metadata.distribution("nexus-agents")
    raw = dist.read_text("direct_url.json")
    if raw:
        url = str(json.loads(raw).get("url", ""))
        if url.startswith("file://") and Path(url[7:], "pyproject.toml").is_file():
            return url[7:]
    return f"nexus-agents=={dist.version}"


def _base(client: Any) -> str:
    from docker.errors import ImageNotFound

    host = f"{sys.version_info.major}.{sys.version_info.minor}"
    for base in BASES:
        try:
            client.images.get(base)
        except ImageNotFound:
            continue
        out = client.containers.run(
            base,
            ["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            remove=True,
        )
        if out.decode().strip() != host:
            raise NoContainer(f"{base} has Python {out.decode().strip()}, the host {host}")
        return base
    raise NoContainer(f"no local Python base image ({' or '.join(BASES)}; see scripts/base-image)")


def build_image(client: Any, cache: Path) -> str:
    """The emulator image's tag, built now unless an image of the same wheels exists;
    one session at a time per cache folder (parallel sessions share the wheels)."""
    import fcntl

    cache.mkdir(parents=True, exist_ok=True)
    with (cache / "lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build(client, cache)


def _build(client: Any, cache: Path) -> str:
    from docker.errors import BuildError, ImageNotFound

    base = _base(client)
    wheels = cache / "wheels"
    wheels.mkdir(exist_ok=True)
    req = _requirement()
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--wheel-dir", str(wheels), req],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise NoContainer(f"pip wheel {req} failed: {done.stderr.strip()[-300:]}")
    ours = sorted(wheels.glob("*.whl"))
    digest = hashlib.sha256(base.encode())
    for wheel in ours:
        digest.update(wheel.name.encode() + hashlib.sha256(wheel.read_bytes()).digest())
    tag = f"{REPOSITORY}:{digest.hexdigest()[:24]}"
    try:
        client.images.get(tag)
        return tag
    except ImageNotFound:
        pass
    with tempfile.TemporaryDirectory(dir=cache) as ctx:
        _copy(ours, Path(ctx, "wheels"))
        Path(ctx, "Dockerfile").write_text(DOCKERFILE.format(base=base, req="nexus-agents"))
        try:
            client.images.build(path=ctx, tag=tag, rm=True, forcerm=True, network_mode="none")
        except BuildError as exc:
            tail = " ".join(str(x.get("stream", "")).strip() for x in exc.build_log)[-300:]
            raise NoContainer(f"the emulator image did not build: {tail}") from None
    _prune(client, tag)
    return tag


def _prune(client: Any, keep: str) -> None:
    """Remove emulator images of older Nexus builds unused for a day (one in use, or
    another session's of today, stays)."""
    from docker.errors import APIError

    day_ago = time.time() - 86400
    for image in client.api.images(name=REPOSITORY):
        tags = [t for t in image.get("RepoTags") or [] if t != keep]
        if image.get("Created", day_ago) < day_ago and tags:
            for ref in tags:
                with contextlib.suppress(APIError):
                    client.api.remove_image(ref)


def _copy(wheels: list[Path], dest: Path) -> None:
    import shutil

    dest.mkdir()
    for wheel in wheels:
        shutil.copy2(wheel, dest / wheel.name)


def run(tag: str, home: Path, port: int, runtime: str | None, engine: str = SOCKET) -> Any:
    """Start the emulator container for ``home`` on ``port``, with ``engine`` (the engine's
    socket here, ``engine_socket``) as its /var/run/docker.sock; return the testcontainers
    container (its ``stop()`` removes it)."""
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")  # no reaper image offline
    from testcontainers.core.container import DockerContainer

    cmd = ["python3", "-m", "nexus_emulator", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--home", str(home)] + (["--runtime", runtime] if runtime else [])
    sock = os.stat(engine)
    container = (
        DockerContainer(tag)
        .with_command(cmd)
        .with_volume_mapping(str(home), str(home), "rw")
        .with_volume_mapping(engine, SOCKET, "rw")
        .with_kwargs(
            network_mode="host",
            pid_mode="host",
            ipc_mode="host",  # /dev/shm, where replicas' secrets folders are made
            user=f"{os.getuid()}:{os.getgid()}",
            group_add=[str(sock.st_gid)],
        )
    )
    container.start()
    return container


def wait_ready(container: Any, url: str, timeout: float) -> str:
    """The runtime the emulator at ``url`` reports once ready; its log tail when it exits."""
    from nexus_local.client import get_status

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = get_status(url, "/v1/health/ready", timeout=1.0)
        if answer is not None and answer[0] == 200 and isinstance(answer[1], dict):
            return str(answer[1].get("runtime", "unknown"))
        container.get_wrapped_container().reload()
        if container.get_wrapped_container().status == "exited":
            logs = container.get_wrapped_container().logs(tail=15).decode(errors="replace")
            raise RuntimeError(f"the emulator container exited:\n{logs}")
        time.sleep(0.1)
    raise RuntimeError(f"the emulator container was not ready within {timeout:.0f}s")
