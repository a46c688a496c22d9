"""``python -m nexus_emulator``: exit codes and the one line it prints when it cannot start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path


def run_emulator(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nexus_emulator", *args],
        env={**os.environ, "NEXUS_HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_port_in_use_exits_3_and_says_how_to_pick_another(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = run_emulator(tmp_path, "--port", str(port), "--runtime", "process")
    assert done.returncode == 3
    assert f"port {port}" in done.stderr
    assert "--port" in done.stderr


def test_unreachable_docker_exits_4_with_one_clear_line(tmp_path: Path, free_port: int) -> None:
    done = run_emulator(
        tmp_path,
        "--port",
        str(free_port),
        "--runtime",
        "docker",
        DOCKER_HOST=f"unix://{tmp_path}/no-such.sock",
    )
    assert done.returncode == 4
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "Docker engine" in lines[0]
    assert "--runtime process" in lines[0]
    assert not (tmp_path / "emulator.json").exists()
