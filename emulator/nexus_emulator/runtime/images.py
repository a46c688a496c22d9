"""Base images for agent builds: which one to use, and how to make one offline.

Order: a configured image (argument or ``NEXUS_BASE_IMAGE``), else the
official ``python:<version>-slim`` (local, or pulled once with a short
timeout), else the locally built ``nexus-base:bookworm-py3``. The two kinds
differ in where Python lives (/usr/local/bin or /usr/bin); builds always run
``python3`` from PATH so both work.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from nexus.settings import Settings

from .base import BuildFailed, LogFn
from .wheels import run_logged

LOCAL_BASE = "nexus-base:bookworm-py3"
DEFAULT_PYTHON = "3.11"
PULL_TIMEOUT = 10  # seconds without an answer from the registry
_PULL_RETRY_AFTER = 300.0
_failed_pulls: dict[str, float] = {}  # image ref -> when a pull last failed

BASE_HINT = "run `nexus ai emulator base-image` to build a local Python base image"


class BaseImageError(BuildFailed):
    """No usable base image, or the base image could not be built."""

    def __init__(self, message: str, hint: str | None = None, tail: list[str] | None = None):
        super().__init__(message, tail or [], hint)


def nexus_command() -> str:
    """How to run ``nexus`` as this process was installed: the script beside this Python
    (``sudo`` does not keep a virtualenv's PATH), else plain ``nexus``."""
    script = Path(sys.executable).parent / "nexus"
    return str(script) if script.is_file() else "nexus"


def build_blocker() -> tuple[str, str] | None:
    """Why this process cannot build the local base image, and the exact command that
    does it; None when it can (debootstrap installed, running as root)."""
    build = f"{nexus_command()} ai emulator base-image"
    root = not hasattr(os, "geteuid") or os.geteuid() == 0
    sudo = "" if root else "sudo "
    if shutil.which("debootstrap") is None:
        return (
            "debootstrap is not installed",
            f"{sudo}apt-get install -y debootstrap && {sudo}{build}",
        )
    if not root:
        return "building it needs root (debootstrap creates a root filesystem)", f"sudo {build}"
    return None


def split_ref(ref: str) -> tuple[str, str | None]:
    """``name:tag`` -> (name, tag); a digest reference is passed whole."""
    if "@" in ref:
        return ref, None
    name, sep, tag = ref.rpartition(":")
    if sep and "/" not in tag:
        return name, tag
    return ref, "latest"


def image_present(client: Any, ref: str) -> bool:
    from docker.errors import ImageNotFound

    try:
        client.images.get(ref)
    except ImageNotFound:
        return False
    return True


def present_id(ref: str) -> str | None:
    """The id of image ``ref`` on the local engine, None when it is not there."""
    import docker
    from docker.errors import DockerException

    client = docker.from_env()
    try:
        image_id: str = client.images.get(ref).id
        return image_id
    except DockerException:
        return None
    finally:
        client.close()


def try_pull(ref: str, log: LogFn) -> bool:
    """Pull ``ref`` once; a failure is remembered for a few minutes so builds stay fast."""
    import docker
    from docker.errors import DockerException

    failed_at = _failed_pulls.get(ref)
    if failed_at is not None and time.monotonic() - failed_at < _PULL_RETRY_AFTER:
        return False
    repo, tag = split_ref(ref)
    log(f"Pulling {ref}")
    try:
        client = docker.from_env(timeout=PULL_TIMEOUT)
        try:
            client.api.pull(repo, tag=tag)
        finally:
            client.close()
    except (DockerException, OSError) as exc:
        _failed_pulls[ref] = time.monotonic()
        log(f"Could not pull {ref}: {str(exc).splitlines()[0] if str(exc) else exc}")
        return False
    return True


def resolve_base_image(
    client: Any,
    python: str | None,
    configured: str | None,
    log: LogFn,
    *,
    local: str = LOCAL_BASE,
    rootfs_cache: Path | None = None,
) -> str:
    """The base image for a build (see the module doc for the order). With none at all,
    the local one (``local``) is built here when this process can (root, debootstrap: a
    first deploy on a machine that cannot pull then just works, its progress in the
    deploy's); else the error says the one command that builds it."""
    wanted = configured or Settings.load().base_image
    if wanted:
        if image_present(client, wanted) or try_pull(wanted, log):
            return wanted
        raise BaseImageError(
            f"the configured base image {wanted!r} is not present locally and could not be pulled",
            "build or load it, or change base_image in nexus.toml / NEXUS_BASE_IMAGE; " + BASE_HINT,
        )
    official = f"python:{python or DEFAULT_PYTHON}-slim"
    if image_present(client, official) or try_pull(official, log):
        return official
    if not image_present(client, local):
        blocker = build_blocker()
        if blocker is not None:
            why, command = blocker
            raise BaseImageError(
                f"no Python base image: {official} is not present and cannot be pulled, "
                f"and {local} cannot be built here: {why}",
                f"run `{command}`, then deploy again (or deploy without containers: "
                "`nexus ai emulator stop && nexus ai emulator start --runtime process`)",
            )
        log(
            f"No Python base image: {official} cannot be pulled; building {local} from "
            "Debian packages (debootstrap, once per machine: about a minute)"
        )
        build_base_image(local, log, rootfs_cache=rootfs_cache)
    if python and python != DEFAULT_PYTHON:
        log(f"Note: {local} has Python {DEFAULT_PYTHON}; the project asks for {python}")
    return local


def build_base_image(
    tag: str = LOCAL_BASE,
    log: LogFn = print,
    *,
    suite: str = "bookworm",
    mirror: str | None = None,
    rootfs_cache: Path | None = None,
) -> str:
    """Build a minimal Debian image with python3 and import it as ``tag``; return its id.

    With ``rootfs_cache`` (a .tar path), an existing archive there is imported instead of
    running debootstrap again, and a fresh debootstrap leaves its archive there.
    """
    if rootfs_cache is not None and rootfs_cache.is_file():
        log(f"Using the cached root filesystem {rootfs_cache}")
        return import_rootfs(rootfs_cache, tag, log)
    blocker = build_blocker()
    if blocker is not None:
        why, command = blocker
        raise BaseImageError(why, f"run `{command}`")
    workdir = Path(tempfile.mkdtemp(prefix="nexus-base-"))
    try:
        archive = debootstrap_rootfs(workdir, suite, mirror, log)
        image_id = import_rootfs(archive, tag, log)
        if rootfs_cache is not None:
            rootfs_cache.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(archive, rootfs_cache.with_suffix(".partial"))
            os.replace(rootfs_cache.with_suffix(".partial"), rootfs_cache)
        return image_id
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def debootstrap_rootfs(workdir: Path, suite: str, mirror: str | None, log: LogFn) -> Path:
    """debootstrap ``suite`` (minbase + python3) under ``workdir``; return it as a tar."""
    rootfs = workdir / "rootfs"
    cmd = [
        "debootstrap",
        "--variant=minbase",
        "--include=python3,python3-venv,ca-certificates",
        suite,
        str(rootfs),
    ]
    mirror = mirror or Settings.load().debian_mirror
    if mirror:
        cmd.append(mirror)
    log("Running " + " ".join(cmd))
    code, tail = run_logged(cmd, log)
    if code != 0:
        raise BaseImageError(f"debootstrap exited with {code}", None, tail)
    for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for item in (rootfs / junk).glob("*"):
            if item.is_file():
                item.unlink()
    archive = workdir / "rootfs.tar"
    subprocess.run(["tar", "-C", str(rootfs), "-cf", str(archive), "."], check=True)
    shutil.rmtree(rootfs, ignore_errors=True)
    return archive


def import_rootfs(archive: Path, tag: str, log: LogFn) -> str:
    """``docker import`` a root filesystem tar as ``tag`` (Python's PATH and locale set)."""
    import docker

    log(f"Importing the root filesystem as {tag}")
    repo, version = split_ref(tag)
    client = docker.from_env()
    try:
        client.api.import_image(
            src=str(archive),
            repository=repo,
            tag=version,
            changes=[
                "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "ENV LANG=C.UTF-8",
                'CMD ["python3"]',
            ],
        )
        image_id: str = client.images.get(tag).id
    finally:
        client.close()
    log(f"Built {tag} ({image_id[:19]})")
    return image_id
