"""Hot reload: seconds from a save to the new code answering, `dev` next to `deploy --watch`.

Runs a private emulator (process runtime, or --runtime docker; tmp NEXUS_HOME, free port),
copies examples/hello, and for each path starts the command as a user would,
then saves N code-only edits and polls the agent (POST /agents/hello/run) until
its answer carries the edit. Replicas are removed at the end.

    .venv/bin/python bench/dev_reload.py [--saves 10] [--watch-saves 3] [--runtime docker]
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, bench_env, free_port, nexus_bin, p50, table
from _emulator import Emulator


def answer(em: Emulator) -> str:
    try:
        return str(em.call("POST", "/agents/hello/run", {"input": "x", "context": {}})["output"])
    except (OSError, RuntimeError):
        return ""


def saves(em: Emulator, argv: list[str], env: dict[str, str], project: Path, n: int) -> list[float]:
    """Start ``argv`` (dev or deploy --watch), then time ``n`` saves until each answers."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    agent = project / "agent.py"
    original = agent.read_text()
    samples: list[float] = []
    try:
        deadline = time.perf_counter() + 120
        while "Hello" not in answer(em):
            if proc.poll() is not None or time.perf_counter() > deadline:
                raise SystemExit(f"{argv[-2:]} did not start (exit {proc.poll()})")
            time.sleep(0.05)
        time.sleep(1.0)  # the watcher has taken its first look
        for i in range(n):
            marker = f"Edit{i}x{time.monotonic_ns()}"
            agent.write_text(original.replace('f"Hello ', f'f"{marker} '))
            t0 = time.perf_counter()
            while marker not in answer(em):
                if time.perf_counter() - t0 > 120:
                    raise SystemExit(f"save {i + 1} never answered")
                time.sleep(0.005)
            samples.append(time.perf_counter() - t0)
            print(f"  save {i + 1}: {samples[-1] * 1000:.0f} ms", flush=True)
            time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        agent.write_text(original)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=10, help="saves timed under `dev`")
    parser.add_argument("--watch-saves", type=int, default=3, help="saves under deploy --watch")
    parser.add_argument("--runtime", default="process", choices=["process", "docker"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as tmp_name:
        tmp = Path(tmp_name)
        home, port = tmp / "home", free_port()
        home.mkdir()
        tmp.chmod(0o755)  # on Docker the replica (uid 10001) reads the mounted project
        env = bench_env(home, port) | {"NEXUS_RUNTIME": args.runtime}
        project = tmp / "hello"
        shutil.copytree(ROOT / "examples" / "hello", project)
        em = Emulator(home, port, env, tmp / "emulator.log")
        rows: list[list[str]] = []
        try:
            em.start()
            print("nexus ai agent dev:", flush=True)
            dev = saves(
                em, [nexus_bin(), "ai", "agent", "dev", str(project)], env, project, args.saves
            )
            rows.append(
                [
                    "dev: save to new code answering",
                    f"p50 {p50(dev) * 1000:.0f} ms, max {max(dev) * 1000:.0f} ms",
                    "≤ 0.5 s p50",
                ]
            )
            if args.watch_saves:
                print("nexus ai agent deploy --watch:", flush=True)
                argv = [nexus_bin(), "ai", "agent", "deploy", "--watch", "--path", str(project)]
                watch = saves(em, argv, env, project, args.watch_saves)
                rows.append(
                    [
                        "deploy --watch: save to new version answering",
                        f"p50 {p50(watch):.2f} s, max {max(watch):.2f} s",
                        "",
                    ]
                )
        finally:
            em.stop()
        print()
        print(table(["figure", "measured", "target"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
