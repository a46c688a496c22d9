"""CLI start-up time: `--help`, and `run`, `list`, `status` against an emulator, next to peer CLIs.

Every figure is the wall time of the whole `nexus` process, as a user waits for it.
`run`, `list` and `status` are measured against a private emulator (process
runtime, tmp NEXUS_HOME, free port) with 1 and then 50 agents deployed (each
agent is a copy of examples/hello, one replica in development). The commands
are timed in interleaved rounds, so a slower moment of the machine hits them all,
and each group next to a `nexus --help` of its own rounds (with 50 agents the
replicas' health checks share the cores too).

Peers (installed in a throwaway virtualenv under bench/.peers/, gitignored):
  agentcore --help   (PyPI: bedrock-agentcore-starter-toolkit)
  langgraph --help   (PyPI: langgraph-cli)

    .venv/bin/python bench/cli_startup.py                  # 20 runs per command
    .venv/bin/python bench/cli_startup.py --agents 1       # skip the 50-agent round
    .venv/bin/python bench/cli_startup.py --agents 0       # only --help and the peers
    .venv/bin/python bench/cli_startup.py --install-peers  # create bench/.peers first
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    PEERS,
    ROOT,
    bench_env,
    compile_sources,
    free_port,
    install_peers,
    nexus_bin,
    p50,
    percentile,
    table,
)
from _emulator import Emulator

Command = tuple[str, list[str], dict[str, str] | None]


def child_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """A user's environment: bytecode is cached (a PYTHONDONTWRITEBYTECODE=1 left in the
    caller's shell would make every run compile the changed modules again)."""
    out = dict(env if env is not None else os.environ)
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    return out


def run_once(argv: list[str], env: dict[str, str] | None) -> tuple[float, float]:
    """Wall time and CPU time (user + system) in ms of one run; fails loudly.

    The CPU time is what the process itself spent: on a busy machine the wall time
    also counts the waits for a core, the CPU time much less so.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        argv, env=child_env(env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    elapsed = (time.perf_counter() - t0) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise SystemExit(f"{' '.join(argv)} failed (exit {proc.returncode}): {err}")
    return elapsed, cpu


Samples = tuple[list[float], list[float]]  # wall ms, CPU ms


def time_rounds(commands: list[Command], runs: int, warmup: int = 2) -> list[Samples]:
    """``runs`` samples per command, measured in interleaved rounds after ``warmup`` ones."""
    samples: list[Samples] = [([], []) for _ in commands]
    for i in range(warmup + runs):
        for n, (_, argv, env) in enumerate(commands):
            wall, cpu = run_once(argv, env)
            if i >= warmup:
                samples[n][0].append(wall)
                samples[n][1].append(cpu)
    return samples


def deploy(project: Path, name: str, env: dict[str, str]) -> None:
    argv = [nexus_bin(), "ai", "agent", "deploy", name, "--path", str(project), "--json"]
    proc = subprocess.run(argv, env=child_env(env), capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"deploy {name} failed (exit {proc.returncode}):\n{proc.stderr}")


def agent_commands(total: int, env: dict[str, str]) -> list[Command]:
    nexus, agents = nexus_bin(), f"{total} agent{'s' if total > 1 else ''}"
    return [
        # the yardstick again, in the same rounds: the emulator and its replicas share the cores
        (f"nexus --help ({agents})", [nexus, "--help"], env),
        (f"nexus ai agent run ({agents})", [nexus, "ai", "agent", "run", "hello", "hi"], env),
        (f"nexus ai agent list ({agents})", [nexus, "ai", "agent", "list"], env),
        (f"nexus ai agent status ({agents})", [nexus, "ai", "agent", "status", "hello"], env),
    ]


def measure_agents(counts: list[int], runs: int) -> list[tuple[str, Samples]]:
    """Deploy up to each count of agents on a private emulator and time the three commands."""
    results: list[tuple[str, Samples]] = []
    with tempfile.TemporaryDirectory(prefix="nexus-bench-cli-") as tmp_name:
        tmp = Path(tmp_name)
        home, port = tmp / "home", free_port()
        home.mkdir()
        env = bench_env(home, port)
        env["NEXUS_RUNTIME"] = "process"
        project = tmp / "hello"
        shutil.copytree(ROOT / "examples" / "hello", project)
        em = Emulator(home, port, env, tmp / "emulator.log")
        deployed = 0
        try:
            em.start()
            for count in sorted(counts):
                names = ["hello"] + [f"hello-{i}" for i in range(1, count)]
                todo = names[deployed:count]
                t0 = time.perf_counter()
                with ThreadPoolExecutor(max_workers=4) as pool:
                    list(pool.map(lambda name: deploy(project, name, env), todo))
                deployed = count
                listed = len(json.loads(em_list(env)))
                print(
                    f"{listed} agent(s) deployed ({len(todo)} in {time.perf_counter() - t0:.1f} s)",
                    file=sys.stderr,
                    flush=True,
                )
                commands = agent_commands(count, env)
                samples = time_rounds(commands, runs)
                results += [(label, s) for (label, _, _), s in zip(commands, samples, strict=True)]
        finally:
            em.stop()
    return results


def em_list(env: dict[str, str]) -> str:
    argv = [nexus_bin(), "ai", "agent", "list", "--json"]
    return subprocess.run(argv, env=child_env(env), capture_output=True, text=True).stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--agents", default="1,50", help="agent counts for run/list/status (0: skip them)"
    )
    parser.add_argument("--install-peers", action="store_true")
    args = parser.parse_args()
    if args.install_peers:
        install_peers()
    compile_sources()

    nexus = nexus_bin()
    commands: list[Command] = [
        ("nexus --help", [nexus, "--help"], None),
        ("nexus ai agent --help", [nexus, "ai", "agent", "--help"], None),
    ]
    for label, exe in (("agentcore --help", "agentcore"), ("langgraph --help", "langgraph")):
        path = PEERS / "bin" / exe
        if path.exists():
            commands.append((label, [str(path), "--help"], None))
        else:
            print(f"skipping {label}: {path} missing (run with --install-peers)", file=sys.stderr)

    samples = time_rounds(commands, args.runs)
    results = [(label, s) for (label, _, _), s in zip(commands, samples, strict=True)]
    counts = [int(c) for c in args.agents.split(",") if int(c) > 0]
    if counts:
        results[2:2] = measure_agents(counts, args.runs)
    rows = []
    base = p50(results[0][1][0])
    for label, (wall, cpu) in results:
        if label.startswith("nexus --help"):
            base = p50(wall)  # each group is compared with the --help of its own rounds
        ratio = f"{p50(wall) / base:.2f}x"
        rows.append(
            [label, f"{p50(wall):.0f}", f"{percentile(wall, 95):.0f}", ratio, f"{p50(cpu):.0f}"]
        )
    print(f"CLI start-up, {args.runs} runs each (the whole process, ms)")
    headers = ["command", "p50 ms", "p95 ms", "p50 vs its --help", "CPU p50 ms"]
    print(table(headers, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
