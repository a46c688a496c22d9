"""CLI start-up time: `nexus --help` and `nexus ai agent --help` next to peer CLIs.

Peers (installed in a throwaway virtualenv under bench/.peers/, gitignored):
  agentcore --help   (PyPI: bedrock-agentcore-starter-toolkit)
  langgraph --help   (PyPI: langgraph-cli)

    .venv/bin/python bench/cli_startup.py                  # 20 runs per command
    .venv/bin/python bench/cli_startup.py --install-peers  # create bench/.peers first
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PEERS, install_peers, nexus_bin, p50, percentile, table


def time_command(argv: list[str], runs: int, warmup: int = 2) -> list[float]:
    """Wall time in ms of ``runs`` runs (after ``warmup`` unmeasured ones); fails loudly."""
    samples: list[float] = []
    for i in range(warmup + runs):
        t0 = time.perf_counter()
        proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = (time.perf_counter() - t0) * 1000
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
            raise SystemExit(f"{' '.join(argv)} failed (exit {proc.returncode}): {err}")
        if i >= warmup:
            samples.append(elapsed)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--install-peers", action="store_true")
    args = parser.parse_args()
    if args.install_peers:
        install_peers()

    nexus = nexus_bin()
    commands: list[tuple[str, list[str]]] = [
        ("nexus --help", [nexus, "--help"]),
        ("nexus ai agent --help", [nexus, "ai", "agent", "--help"]),
    ]
    for label, exe in (("agentcore --help", "agentcore"), ("langgraph --help", "langgraph")):
        path = PEERS / "bin" / exe
        if path.exists():
            commands.append((label, [str(path), "--help"]))
        else:
            print(f"skipping {label}: {path} missing (run with --install-peers)", file=sys.stderr)

    results = [(label, time_command(argv, args.runs)) for label, argv in commands]
    base = p50(results[0][1])
    rows = [
        [
            label,
            f"{p50(s):.0f}",
            f"{percentile(s, 95):.0f}",
            f"{p50(s) / base:.2f}x",
        ]
        for label, s in results
    ]
    print(f"CLI start-up, {args.runs} runs each (wall time of the whole process, ms)")
    print(table(["command", "p50 ms", "p95 ms", "p50 vs nexus --help"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
