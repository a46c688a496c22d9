"""Process helpers for the process runtime: identity checks, stopping, log tails."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections import deque
from pathlib import Path


def start_ticks(pid: int) -> int | None:
    """When ``pid`` started (clock ticks since boot, Linux); None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":  # a zombie: it has exited
        return -1
    return int(fields[19])


def is_same_process(pid: int, ticks: int | None) -> bool:
    """Whether ``pid`` runs and is the process recorded (not a reused pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process: the pid was reused
    now = start_ticks(pid)
    if now == -1:
        return False
    return ticks is None or now is None or now == ticks


def terminate(
    pid: int, child: subprocess.Popen[bytes] | None, timeout: float, ticks: int | None
) -> None:
    """SIGTERM the replica's process group, wait up to ``timeout`` s, then SIGKILL it."""

    def signal_group(sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)

    signal_group(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child is not None:
            if child.poll() is not None:
                return
        elif not is_same_process(pid, ticks):
            return
        time.sleep(0.02)
    signal_group(signal.SIGKILL)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=2)


def tail_file(path: Path, lines: int) -> list[str]:
    """The last ``lines`` lines of a text file ([] when it does not exist)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            # ~256 bytes a line, at least 256 KiB, at most 64 MiB
            budget = min(64 * 2**20, max(256 * 1024, lines * 256))
            start = max(0, size - budget)
            handle.seek(start)
            data = handle.read()
    except OSError:
        return []
    if start > 0:  # began mid-line: drop that partial line
        data = data[data.find(b"\n") + 1 :]
    text = data.decode("utf-8", errors="replace").splitlines()
    return list(deque(text, maxlen=lines)) if lines > 0 else []
