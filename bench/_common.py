"""Small helpers shared by the benchmarks (percentiles, tables, paths)."""

from __future__ import annotations

import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / ".peers" / "venv"
# bedrock-agentcore comes with the starter toolkit; langgraph-cli[inmem] brings `langgraph dev`.
PEER_PACKAGES = ["bedrock-agentcore-starter-toolkit", "langgraph-cli[inmem]"]


def compile_sources() -> None:
    """Measure what a user runs: the project's modules compiled once (as pip does at
    install), not from source at every start (PYTHONDONTWRITEBYTECODE keeps them so)."""
    packages = ["nexus", "nexus_api", "nexus_cli", "emulator", "plugins"]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *(str(ROOT / p) for p in packages)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of ``values`` (pct in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def timed(fn: Callable[[int], object], runs: int) -> list[float]:
    """Milliseconds of each of ``runs`` calls ``fn(0)``, ``fn(1)``, …"""
    out = []
    for i in range(runs):
        started = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - started) * 1000)
    return out


def timed_cpu(fn: Callable[[int], object], runs: int) -> tuple[list[float], list[float]]:
    """Like ``timed``, with the milliseconds of CPU this thread spent in each call: on a
    shared machine the wall time also counts the turns other processes took."""
    wall, cpu = [], []
    for i in range(runs):
        started, spent = time.perf_counter(), time.thread_time()
        fn(i)
        cpu.append((time.thread_time() - spent) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return wall, cpu


def p50(values: list[float]) -> float:
    return statistics.median(values)


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def nexus_bin() -> str:
    """The ``nexus`` command of the running interpreter's environment, else on PATH."""
    candidate = Path(sys.executable).parent / "nexus"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nexus")
    if not found:
        raise SystemExit("nexus is not installed (hint: bash scripts/setup)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_env(home: Path, port: int) -> dict[str, str]:
    """Environment for CLI and emulator subprocesses: a private home and port."""
    env = dict(os.environ)
    env["NEXUS_HOME"] = str(home)
    env["NEXUS_EMULATOR_PORT"] = str(port)
    env.pop("NEXUS_DEBUG", None)
    return env


def install_peers() -> None:
    """The peers' virtualenv under bench/.peers (gitignored), created and filled once."""
    if not (PEERS / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
    pip = [str(PEERS / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, *PEER_PACKAGES], check=True)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL when it is still there after 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
