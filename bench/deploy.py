"""Deploy figures: emulator cold start, first deploy, code-only redeploy, replica start.

Runs against a private emulator (tmp NEXUS_HOME, free port) with the `nexus` CLI, as a
user would. Replicas are removed at the end.

    .venv/bin/python bench/deploy.py [--starts 5] [--redeploys 5]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, bench_env, compile_sources, free_port, nexus_bin, p50, table
from _emulator import Emulator

HEALTHY_RE = re.compile(r"replica \d+ healthy in ([\d.]+) s")


def cold_starts(tmp: Path, runs: int) -> list[float]:
    """Seconds from spawn to ready, each run with a fresh NEXUS_HOME."""
    samples = []
    for i in range(runs):
        home, port = tmp / f"cold-{i}", free_port()
        home.mkdir()
        em = Emulator(home, port, bench_env(home, port), tmp / f"cold-{i}.log")
        try:
            samples.append(em.start())
        finally:
            em.stop(reset=False)
    return samples


def cli_deploy(project: Path, env: dict[str, str]) -> tuple[float, dict[str, Any], str]:
    """Run `nexus --json ai agent deploy hello --path P`: (seconds, result, stderr)."""
    argv = [nexus_bin(), "ai", "agent", "deploy", "hello", "--path", str(project), "--json"]
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"deploy failed (exit {proc.returncode}):\n{proc.stderr}{proc.stdout}")
    return elapsed, json.loads(proc.stdout), proc.stderr


def healthy_times(result: dict[str, Any]) -> list[float]:
    """Replica start to first healthy /ping, as the emulator measured it for each replica."""
    return [
        float(r["healthy_after_s"])
        for r in result.get("replicas", [])
        if r.get("healthy_after_s") is not None
    ]


def run_revision(em: Emulator) -> tuple[int | None, str]:
    try:
        out = em.call("POST", "/agents/hello/run", {"input": "ping", "context": {}})
    except (OSError, RuntimeError):
        return None, ""
    return out["metadata"].get("revision"), str(out["output"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5, help="emulator cold starts")
    parser.add_argument("--redeploys", type=int, default=5, help="code-only redeploys")
    args = parser.parse_args()
    compile_sources()

    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as tmp_name:
        tmp = Path(tmp_name)
        starts = cold_starts(tmp, args.starts)
        print(
            f"emulator cold start to ready: p50 {p50(starts) * 1000:.0f} ms "
            f"(runs: {', '.join(f'{s * 1000:.0f}' for s in starts)} ms)",
            flush=True,
        )

        home, port = tmp / "home", free_port()
        home.mkdir()
        env = bench_env(home, port)
        project = tmp / "hello"
        shutil.copytree(ROOT / "examples" / "hello", project)
        # a code layer no earlier run has built: the first deploy builds it for real
        with (project / "agent.py").open("a") as fh:
            fh.write(f"\n# bench run {uuid.uuid4().hex}\n")
        em = Emulator(home, port, env, tmp / "emulator.log")
        rows: list[list[str]] = []
        try:
            em.start()
            print(f"runtime: {em.call('GET', '/v1/info')['runtime']}", flush=True)
            first, result, _ = cli_deploy(project, env)
            healthy = healthy_times(result)
            rows.append(["first deploy (new code layer, build + start)", f"{first:.2f} s", ""])
            print(f"first deploy: {first:.2f} s", flush=True)

            redeploys: list[float] = []
            agent_py = project / "agent.py"
            for i in range(args.redeploys):
                agent_py.write_text(agent_py.read_text() + f"\n# code-only edit {i}\n")
                t0 = time.perf_counter()
                _, result, _ = cli_deploy(project, env)
                healthy += healthy_times(result)
                revision = result["version"]["revision"]
                while run_revision(em)[0] != revision:
                    if time.perf_counter() - t0 > 120:
                        raise SystemExit(f"revision {revision} never answered")
                    time.sleep(0.01)
                redeploys.append(time.perf_counter() - t0)
                print(
                    f"redeploy {i + 1}: r{revision} answering after {redeploys[-1]:.2f} s",
                    flush=True,
                )
            rows.insert(
                1,
                [
                    "code-only redeploy to new version answering",
                    f"p50 {p50(redeploys):.2f} s, max {max(redeploys):.2f} s",
                    "≤ 5 s",
                ],
            )
            rows.append(
                [
                    f"replica start to healthy ({len(healthy)} replicas)",
                    f"p50 {p50(healthy) * 1000:.0f} ms, max {max(healthy) * 1000:.0f} ms",
                    "≤ 1 s p50",
                ]
            )
        finally:
            em.stop()
        rows.insert(
            0, ["emulator cold start to ready", f"p50 {p50(starts) * 1000:.0f} ms", "≤ 1 s"]
        )
        print()
        print(table(["figure", "measured", "target"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
