"""The seed's deploy form with the Docker runtime: replicas are containers, reset removes them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from nexus_emulator.runtime.docker_build import home_key

from tests.cli.cli_support import Platform, make_project
from tests.cli.cli_support import containers as _containers

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_deploy_staging_with_options_in_docker(offline: Platform, tmp_path: Path) -> None:
    env = {**offline.env, "NEXUS_RUNTIME": "docker"}
    docker = Platform(offline.emulator, env)
    root = make_project(tmp_path / "dock-agent", "dock-agent", env)
    key = home_key(offline.emulator.home.resolve())
    try:
        result = docker(
            "ai",
            "agent",
            "deploy",
            "dock-agent",
            "--env",
            "staging",
            "--replicas",
            "2",
            "--cpu",
            "500m",
            "--memory",
            "256Mi",
            cwd=root,
            timeout=600,
        )
        assert result.code == 0, result.out
        assert "(runtime: docker)" in result.stderr
        assert "replicas: 2/2 healthy" in result.stdout
        run = docker("ai", "agent", "run", "dock-agent", "hi", "--env", "staging")
        assert run.stdout == "Hello there, you said: hi\n"
        status = json.loads(docker("--json", "ai", "agent", "status", "dock-agent").stdout)
        (staging,) = status["environments"]
        assert staging["runtime"] == "docker"
        assert staging["resources"]["cpu"] == "500m"
        assert len(_containers(offline.emulator.home)) == 2
        # a code-only redeploy without flags keeps the size the flags set
        agent = root / "agent.py"
        agent.write_text(agent.read_text().replace('f"Hello ', 'f"Howdy '))
        again = docker("ai", "agent", "deploy", "--env", "staging", cwd=root, timeout=600)
        assert again.code == 0, again.out
        assert "replicas: 2/2 healthy" in again.stdout
        run = docker("ai", "agent", "run", "dock-agent", "hi", "--env", "staging")
        assert run.stdout == "Howdy there, you said: hi\n"
        status = json.loads(docker("--json", "ai", "agent", "status", "dock-agent").stdout)
        assert status["environments"][0]["resources"]["cpu"] == "500m"
        assert len(_containers(offline.emulator.home)) == 2
        # the same content again tags no new image
        same = docker("ai", "agent", "deploy", "--env", "staging", cwd=root, timeout=600)
        assert same.code == 0, same.out
        assert _tags("dock-agent", key) == [f"r1-{key}", f"r2-{key}"]
    finally:
        reset = docker("ai", "emulator", "reset", "--yes")
    assert reset.code == 0, reset.out
    assert _containers(offline.emulator.home) == []
    assert _tags("dock-agent", key) == []


def test_base_image_from_the_project_file_and_the_environment(
    offline: Platform, tmp_path: Path
) -> None:
    env = {**offline.env, "NEXUS_RUNTIME": "docker"}
    docker = Platform(offline.emulator, env)
    root = make_project(tmp_path / "based", "based", env)
    toml = root / "nexus.toml"
    toml.write_text(
        toml.read_text().replace(
            'version = "0.1.0"', 'version = "0.1.0"\nbase_image = "nexus-missing-base:none"'
        )
    )
    try:
        missing = docker("ai", "agent", "deploy", cwd=root)
        assert missing.code == 1, missing.out
        assert "the configured base image 'nexus-missing-base:none'" in missing.stderr
        assert "base_image in nexus.toml" in missing.stderr
        # NEXUS_BASE_IMAGE overrides the project file
        chosen = Platform(offline.emulator, {**env, "NEXUS_BASE_IMAGE": "nexus-base:bookworm-py3"})
        ok = chosen("ai", "agent", "deploy", cwd=root)
        assert ok.code == 0, ok.out
        answer = chosen("ai", "agent", "run", "based", "hi")
        assert answer.code == 0, answer.out
        assert answer.stdout.startswith("Hello")
    finally:
        docker("ai", "emulator", "reset", "--yes")
        docker("ai", "emulator", "stop")


def _tags(agent: str, key: str) -> list[str]:
    """This home's tags of ``agent`` (other emulators on the engine have their own)."""
    listed = subprocess.run(
        ["docker", "image", "ls", "--format", "{{.Tag}}", f"nexus/{agent}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted(tag for tag in listed.split() if tag.endswith(f"-{key}"))
