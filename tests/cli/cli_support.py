"""Helpers of the CLI tests: run the real `nexus` command against a real emulator."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from nexus_local.lifecycle import Emulator

NEXUS = shutil.which("nexus", path=str(Path(sys.executable).parent)) or "nexus"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def out(self) -> str:
        return self.stdout + self.stderr


def base_env(home: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_")}
    env.update(NEXUS_HOME=str(home), NEXUS_EMULATOR_PORT=str(port), NEXUS_RUNTIME="process")
    env.update(NEXUS_CONFIG_DIR=str(home / "config"))  # profiles: never the user's own
    env.update(COLUMNS="200", NO_COLOR="1")
    return env


def nexus(
    *args: str,
    env: dict[str, str],
    cwd: Path | None = None,
    stdin: str | None = None,
    timeout: float = 120,
) -> Result:
    """Run the installed `nexus` command; stdin is never a terminal here."""
    proc = subprocess.run(
        [NEXUS, *args],
        env=env,
        cwd=cwd,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@dataclass
class Platform:
    emulator: Emulator
    env: dict[str, str]

    def __call__(self, *args: str, **kwargs: object) -> Result:
        return nexus(*args, env=self.env, **kwargs)  # type: ignore[arg-type]


def make_project(root: Path, name: str, env: dict[str, str], greeting: str = "Hello") -> Path:
    result = nexus("ai", "agent", "init", name, "--path", str(root), env=env)
    assert result.code == 0, result.out
    agent = root / "agent.py"
    agent.write_text(agent.read_text().replace('f"Hello ', f'f"{greeting} '))
    return root


def spawn(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.Popen[str]:
    """A long-running `nexus` command (watch, follow, dev), its output piped."""
    return subprocess.Popen(
        [NEXUS, *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def interrupt(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[str, str]:
    """Ctrl-C, then its (stdout, stderr); killed after ``timeout`` (a loaded machine is slow)."""
    import signal

    proc.send_signal(signal.SIGINT)
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()


def containers(home: Path) -> list[str]:
    """Ids of the Docker containers the emulator of ``home`` owns (running or not)."""
    out = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=dev.nexus.home={home}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()
