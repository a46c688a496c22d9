"""The whole user flow through the real `nexus` command, on Docker and on the process runtime:
deploy the sample agent, invoke it, redeploy a code change, roll back, restart the emulator
and find everything still there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NEXUS = str(Path(sys.executable).parent / "nexus")


@dataclass
class Cli:
    env: dict[str, str]
    cwd: Path

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [NEXUS, *args],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
        if ok:
            assert done.returncode == 0, f"{args}: {done.stdout}{done.stderr}"
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self("--json", *args).stdout)


def make_cli(runtime: str, tmp_path: Path, port: int) -> Iterator[Cli]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_")}
    env.update(
        NEXUS_HOME=str(tmp_path / "home"),
        NEXUS_EMULATOR_PORT=str(port),
        NEXUS_RUNTIME=runtime,
        COLUMNS="200",
        NO_COLOR="1",
    )
    shutil.copytree(ROOT / "examples" / "hello", tmp_path / "hello")
    c = Cli(env, tmp_path / "hello")
    yield c
    c("ai", "emulator", "reset", "--yes", ok=False)
    c("ai", "emulator", "stop", ok=False)


@pytest.fixture(params=["process", pytest.param("docker", marks=pytest.mark.docker)])
def cli(request: pytest.FixtureRequest, tmp_path: Path, free_port: int) -> Iterator[Cli]:
    yield from make_cli(request.param, tmp_path, free_port)


@pytest.fixture
def docker_cli(tmp_path: Path, free_port: int) -> Iterator[Cli]:
    yield from make_cli("docker", tmp_path, free_port)


def test_deploy_run_redeploy_rollback_restart(cli: Cli) -> None:
    first = cli("ai", "agent", "deploy", "hello")
    assert "Started the local emulator" in first.stderr
    assert cli.env["NEXUS_RUNTIME"] in first.stderr
    answer = cli("ai", "agent", "run", "hello", "Hello there", "--context", "user_id=123")
    assert answer.stdout.strip() == "Hello user 123! Your message has 2 words."

    agent = cli.cwd / "agent.py"
    agent.write_text(agent.read_text().replace('f"Hello {who}', 'f"Welcome back {who}'))
    second = cli.json("ai", "agent", "deploy", "hello")
    assert second["version"]["revision"] == 2
    assert second["version"]["label"] == "1.0.0+r2"
    assert (
        "Welcome back user 7"
        in cli("ai", "agent", "run", "hello", "hi", "--context", "user_id=7").stdout
    )

    cli("ai", "agent", "rollback", "hello")
    assert (
        "Hello user 7" in cli("ai", "agent", "run", "hello", "hi", "--context", "user_id=7").stdout
    )
    rolled = cli.json("ai", "agent", "rollback", "hello", "--version", "1.0.0+r2")
    assert rolled["version"]["revision"] == 2

    history = cli.json("ai", "agent", "history", "hello")
    status = cli.json("ai", "agent", "status", "hello")
    cli("ai", "emulator", "stop")
    cli("ai", "emulator", "start")
    assert cli.json("ai", "agent", "history", "hello") == history
    after = cli.json("ai", "agent", "status", "hello")
    assert after["environments"][0]["revision"] == status["environments"][0]["revision"] == 2
    run = cli.json("ai", "agent", "run", "hello", "still here?", "--context", "user_id=1")
    assert run["output"].startswith("Welcome back user 1")
    assert run["metadata"]["revision"] == 2

    cli("ai", "agent", "delete", "hello", "--yes")
    gone = cli("ai", "agent", "status", "hello", ok=False)
    assert gone.returncode == 2
    assert "no agent named 'hello'" in gone.stderr


@pytest.mark.docker
def test_seed_deploy_form_limits_enforced_by_docker(docker_cli: Cli) -> None:
    cli = docker_cli
    cli(
        "ai",
        "agent",
        "deploy",
        "hello",
        "--env",
        "production",
        "--replicas",
        "3",
        "--cpu",
        "1000m",
        "--memory",
        "1Gi",
    )
    status = cli.json("ai", "agent", "status", "hello")
    env = status["environments"][0]
    assert env["env"] == "production"
    assert env["replicas_desired"] == 3
    assert [r["state"] for r in env["replicas"]] == ["healthy"] * 3
    assert env["resources"]["cpu"] == "1000m"
    assert env["resources"]["memory"] == "1Gi"
    import docker

    client = docker.from_env()
    for replica in env["replicas"]:
        attrs = client.containers.get(replica["id"]).attrs
        host = attrs["HostConfig"]
        assert host["NanoCpus"] == 1_000_000_000
        assert host["Memory"] == 2**30
        assert host["ReadonlyRootfs"] is True
        assert host["CapDrop"] == ["ALL"]
        assert "no-new-privileges" in host["SecurityOpt"][0]
        assert host["PidsLimit"] > 0
        assert attrs["Config"]["User"] not in ("", "0", "root")
        bindings = host["PortBindings"]["8080/tcp"]
        assert all(b["HostIp"] == "127.0.0.1" for b in bindings)
        assert not any("docker.sock" in m.get("Source", "") for m in attrs["Mounts"])
    out = cli("ai", "agent", "run", "hello", "prod", "--env", "production").stdout
    assert out.strip() == "Hello there! Your message has 1 word."


@pytest.mark.docker
def test_bring_your_own_image(docker_cli: Cli) -> None:
    cli = docker_cli
    first = cli.json("ai", "agent", "deploy", "hello")
    image = first["version"]["image"]
    byo = cli.json("ai", "agent", "deploy", "byo", "--image", image)
    assert byo["version"]["source"] == "image"
    assert "Hello user 5" in cli("ai", "agent", "run", "byo", "x", "--context", "user_id=5").stdout


@pytest.mark.slow
def test_langgraph_example_deploys_with_its_dependencies(cli: Cli) -> None:
    project = cli.cwd.parent / "langgraph"
    shutil.copytree(ROOT / "examples" / "langgraph", project)
    deployed = cli.json("ai", "agent", "deploy", "--path", str(project))
    assert deployed["version"]["label"] == "1.0.0"
    assert deployed["name"] == "graph"
    answer = cli("ai", "agent", "run", "graph", "add 2 and 40")
    assert answer.stdout.strip() == "The sum is 42."
