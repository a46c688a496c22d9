"""Remote provider figures: Swarm deploy, rolling update and rollback of a 3-replica service,
a run and an async task through its front; AgentCore (moto in server mode) deploy to READY.

Uses the test suite's one-node swarm and local registry helpers (created only when
missing, removed afterwards only then) and its moto launcher. Drives the `nexus`
CLI as a user would; every figure is the wall time of one command.

    .venv/bin/python bench/providers.py [--skip-swarm] [--skip-agentcore]
"""

from __future__ import annotations

import argparse
import json
import platform
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, bench_env, free_port, nexus_bin, table

sys.path.insert(0, str(ROOT))
from tests.providers.swarm_support import shared_swarm

AGENT = """
from nexus.ai.agents import Agent


class Echo(Agent):
    async def process(self, input):
        return "GREETING " + str(input)
"""
TOML = '[agent]\nname = "{name}"\nentrypoint = "agent:Echo"\nversion = "{version}"\n'


def write(project: Path, name: str, greeting: str, version: str) -> None:
    project.mkdir(parents=True, exist_ok=True)
    (project / "agent.py").write_text(AGENT.replace("GREETING", greeting))
    (project / "nexus.toml").write_text(TOML.format(name=name, version=version))


def timed(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([nexus_bin(), *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"nexus {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return elapsed


def swarm(tmp: Path) -> list[list[str]]:
    name = f"bench{secrets.token_hex(3)}"
    project = tmp / "swarm"
    with shared_swarm() as registry:
        env = bench_env(tmp / "home-swarm", free_port())
        env.update(NEXUS_SWARM_REGISTRY=registry, NEXUS_PROVIDER="swarm")
        deploy = (
            "ai",
            "agent",
            "deploy",
            "--path",
            str(project),
            "-e",
            "staging",
            "--replicas",
            "3",
        )
        try:
            write(project, name, "hello", "1.0.0")
            timed(env, "ai", "agent", "deploy", "--path", str(project), "-e", "staging")
            timed(env, "ai", "agent", "delete", name, "--yes")  # the image build is now cached
            first = timed(env, *deploy)
            write(project, name, "howdy", "2.0.0")
            update = timed(env, *deploy)
            back = timed(env, "ai", "agent", "rollback", name, "-e", "staging")
            run = min(timed(env, "ai", "agent", "run", name, "x") for _ in range(5))
            task = task_round_trip(env, name)
        finally:
            subprocess.run([nexus_bin(), "ai", "agent", "delete", name, "--yes"], env=env)
    return [
        ["swarm: first deploy, 3 replicas (image cached)", f"{first:.1f} s"],
        ["swarm: rolling update, 3 replicas (code change)", f"{update:.1f} s"],
        ["swarm: rollback, 3 replicas", f"{back:.1f} s"],
        ["swarm: `run` through the front (command wall time, best of 5)", f"{run:.2f} s"],
        ["swarm: async task, `run --async` to succeeded (status polled)", f"{task:.2f} s"],
    ]


def task_round_trip(env: dict[str, str], name: str) -> float:
    """From `run --async` to `task status` saying succeeded, polled as fast as the CLI goes."""

    def status(*args: str) -> dict[str, str]:
        done = subprocess.run([nexus_bin(), "--json", "ai", "agent", *args], env=env,
                              capture_output=True, text=True, check=True)  # fmt: skip
        answer: dict[str, str] = json.loads(done.stdout)
        return answer

    started = time.perf_counter()
    task_id = status("run", name, "x", "--async")["task_id"]
    while status("task", "status", task_id)["status"] != "succeeded":
        if time.perf_counter() - started > 120:
            raise SystemExit(f"task {task_id} did not succeed within 120 s")
    return time.perf_counter() - started


def agentcore(tmp: Path) -> list[list[str]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    script = ROOT / "tests" / "providers" / "moto_server.py"
    moto = subprocess.Popen(
        [sys.executable, str(script), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    name = f"bench-{secrets.token_hex(3)}"
    project = tmp / "agentcore"
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        with shared_swarm(swarm=False) as registry:
            env = bench_env(tmp / "home-agentcore", free_port())
            env.update(
                AWS_ACCESS_KEY_ID="bench",
                AWS_SECRET_ACCESS_KEY="bench",
                AWS_REGION="us-east-1",
                NEXUS_PROVIDER="agentcore",
                NEXUS_AGENTCORE_ENDPOINT_URL=url,
                NEXUS_AGENTCORE_ROLE_ARN="arn:aws:iam::123456789012:role/bench",
                NEXUS_AGENTCORE_REPOSITORY="bench",
                NEXUS_AGENTCORE_REGISTRY=registry,
                NEXUS_AGENTCORE_PLATFORM=f"linux/{arch}",
            )
            deploy = ("ai", "agent", "deploy", "--path", str(project), "-e", "production")
            write(project, name, "hello", "1.0.0")
            first = timed(env, *deploy)
            write(project, name, "howdy", "2.0.0")
            second = timed(env, *deploy)
            out = subprocess.run(
                [nexus_bin(), "--json", "ai", "agent", "history", name], env=env,
                capture_output=True, text=True,
            )  # fmt: skip
            versions = len(json.loads(out.stdout)["versions"])
            subprocess.run([nexus_bin(), "ai", "agent", "delete", name, "--yes"], env=env)
    finally:
        moto.terminate()
        moto.wait(10)
    return [
        ["agentcore (moto): first deploy to READY (build, push, create)", f"{first:.1f} s"],
        [f"agentcore (moto): redeploy to READY ({versions} versions)", f"{second:.1f} s"],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-swarm", action="store_true")
    parser.add_argument("--skip-agentcore", action="store_true")
    args = parser.parse_args()
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as raw:
        tmp = Path(raw)
        if not args.skip_swarm:
            rows += swarm(tmp)
        if not args.skip_agentcore:
            rows += agentcore(tmp)
    print(table(["figure", "wall time"], rows))


if __name__ == "__main__":
    main()
