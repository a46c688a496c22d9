"""Helpers of the CLI tests: run the real `nexus` command against a real emulator."""

from __future__ import annotations

import json
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


def imported_by(argv: list[str]) -> tuple[str, list[str]]:
    """What a real `nexus ARGV` process printed, and every module it had imported at exit."""
    code = (
        "import atexit, json, sys\n"
        "atexit.register(lambda: print('MODULES', json.dumps(sorted(sys.modules)),"
        " file=sys.stderr))\n"
        "from nexus_cli.entry import run\n"
        "sys.argv = ['nexus', *sys.argv[1:]]\n"
        "run()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("MODULES "), proc.stderr
    modules: list[str] = json.loads(last.removeprefix("MODULES "))
    return proc.stdout, modules
