"""The dashboard's first paint with N agents deployed (process runtime, private emulator).

Two figures, each over several runs:
- in a real terminal (tmux, 160x50): from spawning `nexus ai dashboard` to the pane
  showing the agent count and the agents' rows (names, environments, versions: the
  first paint), then to those rows showing replicas and load too, polled with
  `tmux capture-pane` every 10 ms; with the CPU time the process had used at the first
  paint (from /proc), the figure a loaded machine changes least;
- in process (Textual's headless driver): from `App.run_test` entering to the first
  full read drawn (every row, then the selected agent's status, logs, tasks,
  traces and memory), without the CLI's start.

    .venv/bin/python bench/dashboard.py [--agents 20] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, bench_env, free_port, nexus_bin, p50
from _emulator import Emulator


def deploy(project: Path, name: str, env: dict[str, str]) -> None:
    argv = [nexus_bin(), "ai", "agent", "deploy", name, "--path", str(project), "--json"]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"deploy {name} failed (exit {proc.returncode}):\n{proc.stderr}")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, every thread) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def in_tmux(env: dict[str, str], count: int, tmp: Path) -> tuple[float, float, float]:
    """Seconds from the command to the first paint of the agent rows, and to those rows
    showing their replicas (status and metrics read); and the CPU seconds the dashboard had
    used when the rows were first seen (what the first paint costs whatever the load)."""
    session = f"nexus-bench-{uuid.uuid4().hex[:8]}"
    command = (  # exec: the pane's process is the dashboard itself
        f"exec env NEXUS_HOME={env['NEXUS_HOME']} "
        f"NEXUS_EMULATOR_PORT={env['NEXUS_EMULATOR_PORT']} {nexus_bin()} ai dashboard"
    )
    # a server of its own (another's exit cannot race this one), its socket in the bench's folder
    tmux = ["tmux", "-S", str(tmp / f"{session}.sock")]
    t0 = time.perf_counter()
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", session, "-x", "160", "-y", "50", command], check=True
    )
    pane = subprocess.run(
        [*tmux, "display-message", "-p", "-t", session, "#{pane_pid}"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(pane.stdout)
    first: float | None = None
    cpu = 0.0
    screen = ""
    try:
        deadline = t0 + 30
        while time.perf_counter() < deadline:
            screen = subprocess.run(
                [*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout
            rows = [  # the table's rows (the agent view below starts with a name too)
                line
                for line in screen.splitlines()
                if line.startswith(" agent-") and " development " in line
            ]
            if f"{count} agent(s)" in screen and rows:
                if first is None:
                    first, cpu = time.perf_counter() - t0, cpu_seconds(pid)
                if all("1/1" in row for row in rows):
                    return first, time.perf_counter() - t0, cpu
            time.sleep(0.01)
        raise SystemExit(f"the dashboard never showed {count} agents:\n{screen}")
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


def in_process(env: dict[str, str]) -> float:
    os.environ["NEXUS_HOME"], os.environ["NEXUS_EMULATOR_PORT"] = (
        env["NEXUS_HOME"],
        env["NEXUS_EMULATOR_PORT"],
    )
    from nexus_local.provider import LocalProvider

    from nexus_cli.tui.app import Dashboard

    async def scenario() -> float:
        app = Dashboard(LocalProvider(), interval=3600)
        t0 = time.perf_counter()
        async with app.run_test(size=(160, 50)) as pilot:
            while app.loads < 1:
                await pilot.pause(0.005)
            took = time.perf_counter() - t0
            await pilot.press("q")
        return took

    return asyncio.run(scenario())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nexus-bench-dash-") as tmp_name:
        tmp = Path(tmp_name)
        home, port = tmp / "home", free_port()
        home.mkdir()
        env = bench_env(home, port) | {"NEXUS_RUNTIME": "process"}
        project = tmp / "hello"
        shutil.copytree(ROOT / "examples" / "hello", project)
        em = Emulator(home, port, env, tmp / "emulator.log")
        names = [f"agent-{i:02d}" for i in range(args.agents)]
        try:
            em.start()
            t0 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(lambda name: deploy(project, name, env), names))
            listed = em.call("GET", "/v1/agents")
            print(f"load average at the start: {os.getloadavg()[0]:.1f}", file=sys.stderr)
            print(
                f"{len(listed)} agents deployed in {time.perf_counter() - t0:.1f} s",
                file=sys.stderr,
            )
            inproc = [in_process(env) for _ in range(args.runs)]
            print(
                f"first full read drawn, in process ({args.agents} agents): "
                f"p50 {p50(inproc) * 1000:.0f} ms, max {max(inproc) * 1000:.0f} ms"
            )
            if shutil.which("tmux") is None:
                print("tmux not found: the terminal figure is skipped (apt-get install tmux)")
            else:
                term = [in_tmux(env, len(names), tmp) for _ in range(args.runs)]
                paint, full, cpu = ([t[i] for t in term] for i in range(3))
                print(
                    f"first paint in tmux, command to the agent rows ({args.agents} agents): "
                    f"p50 {p50(paint) * 1000:.0f} ms, max {max(paint) * 1000:.0f} ms "
                    "(target ≤ 1 s)"
                )
                print(
                    f"  CPU the dashboard had used by then: p50 {p50(cpu) * 1000:.0f} ms, "
                    f"max {max(cpu) * 1000:.0f} ms"
                )
                print(
                    f"  the same rows with replicas and load: p50 {p50(full) * 1000:.0f} ms, "
                    f"max {max(full) * 1000:.0f} ms"
                )
            print(f"load average at the end: {os.getloadavg()[0]:.1f}", file=sys.stderr)
        finally:
            em.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
