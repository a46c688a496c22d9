"""`nexus ai agent dev`: the project runs in place and a save reloads it, until Ctrl-C."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.cli_support import Platform, containers, interrupt, make_project, spawn


def _until(
    check: Callable[[], bool], proc: subprocess.Popen[str], what: str, wait: float = 30
) -> None:
    deadline = time.monotonic() + wait
    while not check():
        assert proc.poll() is None, f"dev exited ({proc.returncode}) before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _revision(platform: Platform, name: str) -> int:
    result = platform("--json", "ai", "agent", "status", name)
    assert result.code == 0, result.out
    envs = {e["env"]: e for e in json.loads(result.stdout)["environments"]}
    return int(envs["development"]["revision"])


def test_dev_reloads_in_place_keeps_good_code_and_cleans_up(
    platform: Platform, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "devloop", "devloop", platform.env)
    proc = spawn("ai", "agent", "dev", str(root), env=platform.env)
    out: list[str] = []
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: out.extend(iter(proc.stdout.readline, "")))  # type: ignore[union-attr]
    reader.start()

    def answer() -> str:
        return platform("ai", "agent", "run", "devloop", "x").stdout

    agent = root / "agent.py"
    try:
        _until(lambda: "Hello" in answer(), proc, "the first answer", wait=90)
        _until(lambda: any("hot reload on" in line for line in out), proc, "the watcher")
        agent.write_text(agent.read_text().replace('f"Hello ', 'f"Hi again '))
        _until(lambda: "Hi again" in answer(), proc, "the saved change to answer")
        assert _revision(platform, "devloop") == 1  # reloaded in place: no new build
        good = agent.read_text()
        agent.write_text(good + "\ndef broken(:\n")
        _until(lambda: any("reload failed" in line for line in out), proc, "the error")
        assert "Hi again" in answer()  # the last good code keeps serving
        agent.write_text(good.replace('f"Hi again ', 'f"Fixed '))
        _until(lambda: "Fixed" in answer(), proc, "the fix to answer")
        toml = root / "nexus.toml"
        toml.write_text(toml.read_text().replace('version = "0.1.0"', 'version = "0.2.0"'))
        _until(lambda: _revision(platform, "devloop") == 2, proc, "the rebuild", wait=90)
        assert "Fixed" in answer()
    finally:
        _, err = interrupt(proc)
        reader.join(timeout=10)
    assert proc.returncode == 130, err
    assert "endpoint: http://127.0.0.1:" in err
    assert "Authorization: Bearer" in err
    assert "Deleted devloop" in err
    assert any("SyntaxError" in line for line in out)  # the error is shown with its cause
    listed = platform("--json", "ai", "agent", "list")
    assert "devloop" not in [a["name"] for a in json.loads(listed.stdout)]
    assert not list(root.rglob("__pycache__"))  # the project tree is left as it was


@pytest.mark.docker
@pytest.mark.slow
def test_dev_on_docker_bind_mounts_the_project_read_only(offline: Platform) -> None:
    env = {**offline.env, "NEXUS_RUNTIME": "docker"}
    docker = Platform(offline.emulator, env)
    base = Path(tempfile.mkdtemp(prefix="nexus-dev-"))
    base.chmod(0o755)  # the replica runs as uid 10001: it must be able to read the project
    root = make_project(base / "dockdev", "dockdev", env)
    proc = spawn("ai", "agent", "dev", str(root), env=env)
    try:
        deadline = time.monotonic() + 600
        while "Hello" not in docker("ai", "agent", "run", "dockdev", "x").stdout:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the first answer never came"
            time.sleep(0.5)
        agent = root / "agent.py"
        changed = agent.read_text().replace('f"Hello ', 'f"Mounted ')
        saved = [0.0]

        def reloaded() -> bool:
            # Saved again every 5 s: a save made before the replica's watcher took its first
            # look at the tree (a loaded machine) is the baseline, not a change.
            if time.monotonic() - saved[0] > 5:
                agent.write_text(changed)
                saved[0] = time.monotonic()
            return "Mounted" in docker("ai", "agent", "run", "dockdev", "x").stdout

        _until(reloaded, proc, "reload", wait=60)
        assert _revision(docker, "dockdev") == 1
        status = json.loads(docker("--json", "ai", "agent", "status", "dockdev").stdout)
        assert status["environments"][0]["runtime"] == "docker"
        assert not list(root.rglob("__pycache__"))  # mounted read-only: nothing written
    finally:
        _, err = interrupt(proc)
        reset = docker("ai", "emulator", "reset", "--yes")
        shutil.rmtree(base, ignore_errors=True)
    assert proc.returncode == 130, err
    assert reset.code == 0, reset.out
    assert containers(offline.emulator.home) == []
