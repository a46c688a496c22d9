"""Deploys that fail for real: the error shows why, exit 1, and what was serving keeps serving."""

from __future__ import annotations

from pathlib import Path

from tests.cli.cli_support import Platform, free_port, make_project


def test_failing_build_shows_the_tail_of_pip(platform: Platform, tmp_path: Path) -> None:
    root = make_project(tmp_path / "pipfail", "pipfail", platform.env)
    toml = root / "nexus.toml"
    toml.write_text(
        toml.read_text().replace(
            "dependencies = []", 'dependencies = ["nexus-no-such-package-zz==9.9"]'
        )
    )
    result = platform("ai", "agent", "deploy", cwd=root)
    assert result.code == 1, result.out
    assert "Error: the build of pipfail failed" in result.stderr
    assert "nothing was deployed to development" in result.stderr
    assert "No matching distribution found for nexus-no-such-package-zz==9.9" in result.stderr
    assert "Hint: fix the error shown above, then deploy again" in result.stderr
    missing = platform("ai", "agent", "status", "pipfail")
    assert missing.code == 2, missing.out
    assert "no agent named 'pipfail'" in missing.stderr


def test_replica_that_never_gets_healthy_leaves_the_old_version(
    platform: Platform, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "crashy", "crashy", platform.env)
    assert platform("ai", "agent", "deploy", cwd=root).code == 0
    with (root / "agent.py").open("a") as fh:
        fh.write("\nraise RuntimeError('boom at import')\n")
    result = platform("ai", "agent", "deploy", cwd=root)
    assert result.code == 1, result.out
    assert "did not become healthy" in result.stderr
    assert "development keeps serving 0.1.0" in result.stderr
    assert "RuntimeError: boom at import" in result.stderr
    still = platform("ai", "agent", "run", "crashy", "hi")
    assert still.code == 0, still.out
    assert still.stdout.startswith("Hello")
    history = platform("--json", "ai", "agent", "history", "crashy")
    assert '"revision": 2' not in history.stdout


def test_docker_engine_unreachable(tmp_path: Path) -> None:
    from tests.cli.cli_support import base_env, nexus

    env = base_env(tmp_path / "home", free_port())
    env.update(NEXUS_RUNTIME="docker", DOCKER_HOST=f"unix://{tmp_path}/no-docker.sock")
    result = nexus("ai", "agent", "list", env=env)
    assert result.code == 1, result.out
    assert "cannot reach the Docker engine" in result.stderr
    assert "nexus ai emulator start --runtime process" in result.stderr


def test_without_docker_auto_falls_back_to_processes_and_says_so(tmp_path: Path) -> None:
    from tests.cli.cli_support import base_env, nexus

    env = base_env(tmp_path / "home", free_port())
    env.pop("NEXUS_RUNTIME")  # auto, as a new user has it
    env["DOCKER_HOST"] = f"unix://{tmp_path}/no-docker.sock"
    root = make_project(tmp_path / "fallback", "fallback", env)
    try:
        deployed = nexus("ai", "agent", "deploy", cwd=root, env=env)
        assert deployed.code == 0, deployed.out
        notices = [line for line in deployed.stderr.splitlines() if "emulator" in line]
        assert len(notices) == 1
        assert "runtime: process" in notices[0]
        assert "Docker is not available" in notices[0]
        answer = nexus("ai", "agent", "run", "fallback", "hi", "--context", "user_id=9", env=env)
        assert answer.code == 0, answer.out
        assert answer.stdout.startswith("Hello 9")
        status = nexus("ai", "agent", "status", "fallback", env=env)
        assert "no container isolation" in status.stdout
    finally:
        nexus("ai", "emulator", "reset", "--yes", env=env)
        nexus("ai", "emulator", "stop", env=env)
