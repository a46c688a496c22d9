"""Host-built wheels for agent dependencies, cached per dependency list.

Both runtimes install dependencies from wheels built on the host
(``pip wheel``), never from the network inside a build: builds work offline
once the wheels exist and a second build of the same list reuses them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import uuid
from collections import deque
from pathlib import Path

from nexus.settings import HomePaths

from .base import BuildFailed, LogFn
from .targets import WheelTarget

TAIL_LINES = 30


def host_python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def threadsafe_log(log: LogFn) -> LogFn:
    """Wrap ``log`` so calls from a worker thread run on the current event loop, in order."""
    loop = asyncio.get_running_loop()

    def emit(line: str) -> None:
        loop.call_soon_threadsafe(log, line)

    return emit


def run_logged(
    cmd: list[str],
    log: LogFn,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> tuple[int, list[str]]:
    """Run ``cmd``, stream each output line to ``log``; return (exit code, last lines)."""
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = raw.rstrip("\n")
        tail.append(line)
        log(line)
    return proc.wait(), list(tail)


def wheelhouse_key(dependencies: list[str], target: WheelTarget | None = None) -> str:
    where = (
        target.key()
        if target is not None
        else {"python": host_python_version(), "platform": sysconfig.get_platform()}
    )
    data = json.dumps({"deps": sorted(dependencies), "for": where}, sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:24]


def _pip_command(dependencies: list[str], scratch: Path, target: WheelTarget | None) -> list[str]:
    common = ["--disable-pip-version-check", "--no-input", "--progress-bar", "off"]
    if target is None or target.matches_host():
        return [sys.executable, "-m", "pip", "wheel", *common, "-w", str(scratch), *dependencies]
    platforms = [arg for tag in target.platforms() for arg in ("--platform", tag)]
    return [
        sys.executable, "-m", "pip", "download", *common, "--only-binary=:all:",
        "--implementation", "cp", "--python-version", target.python, *platforms,
        "-d", str(scratch), *dependencies,
    ]  # fmt: skip


def ensure_wheelhouse(
    home: Path, dependencies: list[str], log: LogFn, target: WheelTarget | None = None
) -> Path:
    """A directory of wheels for ``dependencies``, made once and then reused.

    ``target`` is the Python that will install them (an image's); when it is not
    the host's own, binary wheels for it are downloaded instead of built here.
    """
    target_dir = HomePaths(home).wheelhouse / wheelhouse_key(dependencies, target)
    if (target_dir / ".complete").is_file():
        log(f"Using cached wheels in {target_dir}")
        return target_dir
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    scratch = target_dir.with_name(f"{target_dir.name}.tmp-{uuid.uuid4().hex[:8]}")
    cross = target is not None and not target.matches_host()
    if cross:
        assert target is not None
        log(
            f"Downloading wheels for Python {target.python} on {target.machine} "
            f"({target.libc} {target.libc_version}): {' '.join(dependencies)}"
        )
    else:
        log(f"Building wheels for: {' '.join(dependencies)}")
    env = dict(os.environ, PIP_NO_INPUT="1")
    try:
        code, tail = run_logged(_pip_command(dependencies, scratch, target), log, env=env)
    except OSError as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        raise BuildFailed(f"could not run pip on the host: {exc}", []) from exc
    if code != 0:
        shutil.rmtree(scratch, ignore_errors=True)
        what = (
            "downloading wheels for the image's Python failed (a dependency may have no "
            "binary wheel for it: pin a version that has one)"
            if cross
            else "building wheels for the dependencies failed"
        )
        raise BuildFailed(f"{what} (pip exited with {code})", tail)
    (scratch / "requirements.txt").write_text("\n".join(dependencies) + "\n")
    (scratch / ".complete").write_text("")
    if target_dir.exists() and not (target_dir / ".complete").is_file():
        shutil.rmtree(target_dir, ignore_errors=True)  # left over by an interrupted build
    try:
        scratch.rename(target_dir)
    except OSError:  # another build finished the same list first
        shutil.rmtree(scratch, ignore_errors=True)
    return target_dir
