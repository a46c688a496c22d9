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

from .base import BuildFailed, LogFn

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


def wheelhouse_key(dependencies: list[str]) -> str:
    data = json.dumps(
        {
            "deps": sorted(dependencies),
            "python": host_python_version(),
            "platform": sysconfig.get_platform(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(data.encode()).hexdigest()[:24]


def ensure_wheelhouse(home: Path, dependencies: list[str], log: LogFn) -> Path:
    """A directory of wheels for ``dependencies`` (built once with the host's pip, then reused)."""
    target = home / "wheelhouse" / wheelhouse_key(dependencies)
    if (target / ".complete").is_file():
        log(f"Using cached wheels in {target}")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f"{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    log(f"Building wheels for: {' '.join(dependencies)}")
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--disable-pip-version-check",
        "--no-input",
        "--progress-bar",
        "off",
        "-w",
        str(scratch),
        *dependencies,
    ]
    env = dict(os.environ, PIP_NO_INPUT="1")
    try:
        code, tail = run_logged(cmd, log, env=env)
    except OSError as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        raise BuildFailed(f"could not run pip on the host: {exc}", []) from exc
    if code != 0:
        shutil.rmtree(scratch, ignore_errors=True)
        raise BuildFailed(
            f"building wheels for the dependencies failed (pip exited with {code})", tail
        )
    (scratch / "requirements.txt").write_text("\n".join(dependencies) + "\n")
    (scratch / ".complete").write_text("")
    if target.exists() and not (target / ".complete").is_file():
        shutil.rmtree(target, ignore_errors=True)  # left over by an interrupted build
    try:
        scratch.rename(target)
    except OSError:  # another build finished the same list first
        shutil.rmtree(scratch, ignore_errors=True)
    return target
