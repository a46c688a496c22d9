"""The README's first command on a machine where Docker answers but no container base
image can be had: `bash scripts/demo` ends with hello answering on the process runtime,
one line saying so and the one command that moves to containers.

The shared base image stays untouched: NEXUS_BASE_IMAGE names an image that does not
exist (and cannot be pulled), and PATH has no debootstrap to build one with."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.cli.cli_support import base_env, free_port, nexus

REPO = Path(__file__).resolve().parents[2]


def _path_without_debootstrap() -> str:
    dirs = [*os.environ.get("PATH", "").split(os.pathsep), "/usr/bin", "/bin"]
    kept = [d for d in dict.fromkeys(dirs) if d and not (Path(d) / "debootstrap").exists()]
    return os.pathsep.join(kept)


@pytest.mark.docker
def test_demo_falls_back_to_the_process_runtime_without_a_base_image(tmp_path: Path) -> None:
    env = base_env(tmp_path / "home", free_port())
    env.pop("NEXUS_RUNTIME")  # auto, as a new user has it: Docker answers, so docker
    env["NEXUS_BASE_IMAGE"] = f"nexus-test-missing-base-{uuid.uuid4().hex[:12]}:none"
    env["PATH"] = _path_without_debootstrap()
    try:
        demo = subprocess.run(
            ["bash", "scripts/demo"],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
        )
        out = demo.stdout + demo.stderr
        assert demo.returncode == 0, out
        # the first deploy on docker failed on the missing base image, then the fallback
        assert "base image" in out
        said = [line for line in out.splitlines() if "process runtime" in line]
        assert said == [
            "No container base image here, so hello runs on the process runtime (local processes)."
        ], out
        upgrade = [line for line in out.splitlines() if line.startswith("To move to containers: ")]
        assert len(upgrade) == 1, out
        assert "apt-get install -y debootstrap && " in upgrade[0]
        assert "nexus ai emulator base-image && " in upgrade[0]
        nx = REPO / ".venv" / "bin" / "nexus"
        restart = f"{nx} ai emulator stop && {nx} ai emulator start --runtime docker"
        assert upgrade[0].endswith(restart)
        # hello answered (the demo's run step), and it runs on the process runtime
        assert "Hello user 123! Your message has 4 words." in demo.stdout, out
        status = nexus("ai", "emulator", "status", "--json", env=env)
        assert status.code == 0, status.out
        assert json.loads(status.stdout)["runtime"] == "process"
        answer = nexus("ai", "agent", "run", "hello", "again", env=env)
        assert answer.code == 0, answer.out
        assert answer.stdout.startswith("Hello there! Your message has 1 word.")
    finally:
        nexus("ai", "emulator", "reset", "--yes", env=env)
        nexus("ai", "emulator", "stop", env=env)
