"""CPU time the processes behind a target spend, read from /proc (Linux).

On a shared machine, requests per second move with whatever else runs; the CPU
time the serving processes spend per call moves much less, so the concurrent
benchmark prints both. A target's processes are given as root pids: each one
counts with all its descendants (a peer's workers, a container's processes
under its init), plus Docker's userland port proxy of a published port.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
Roots = Callable[[], list[int]]


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system seconds) of one process; None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def seconds(roots: list[int]) -> float:
    """CPU seconds so far of ``roots`` and every process below them."""
    procs = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (found := _stat(int(entry))) is not None:
            procs[int(entry)] = found
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in procs.items():
        children.setdefault(parent, []).append(pid)
    total, todo, seen = 0.0, list(roots), set()
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in procs:
            continue
        seen.add(pid)
        total += procs[pid][1]
        todo += children.get(pid, [])
    return total


def proxy_pids(port: int) -> list[int]:
    """The ``docker-proxy`` processes forwarding host port ``port``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"docker-proxy") and str(port).encode() in argv:
            found.append(int(entry))
    return found


def container_pid(container_id: str) -> int:
    """The host pid of a container's first process."""
    argv = ["docker", "inspect", "-f", "{{.State.Pid}}", container_id]
    return int(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)


def published_port(container_id: str) -> int:
    """The host port a container publishes its 8080 on."""
    argv = ["docker", "port", container_id, "8080/tcp"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return int(out.split()[0].rsplit(":", 1)[1])
