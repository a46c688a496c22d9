"""Start, find and stop the local emulator process of one NEXUS_HOME.

The emulator writes ``home/emulator.json`` ({"pid", "port", "started_at"})
once it listens and ``home/token`` (the bearer token). An emulator is
"running" when that file names a live emulator process.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nexus.settings import HomePaths, Settings, SettingsError
from nexus_cli.errors import NexusError, OperationFailed, Unavailable, UsageError

HOST = "127.0.0.1"
READY_TIMEOUT = 15.0
PORT_IN_USE_EXIT = 3
Notice = Callable[[str], None]


@dataclass(frozen=True)
class Emulator:
    """Where one emulator lives: its home directory and the port it is asked to use."""

    home: Path
    port: int

    @classmethod
    def resolve(cls, port: int | None = None, home: Path | None = None) -> Emulator:
        """The arguments, else NEXUS_EMULATOR_PORT and NEXUS_HOME (``nexus.settings``)."""
        settings = load_settings()
        port = settings.emulator_port if port is None else port
        if not 0 < port < 65536:
            raise UsageError(f"port {port} is out of range", hint="use a port in 1024-65535")
        return cls(home=(home or settings.home).expanduser().resolve(), port=port)

    @property
    def paths(self) -> HomePaths:
        return HomePaths(self.home)

    @property
    def log_path(self) -> Path:
        return self.paths.log

    def url(self, port: int | None = None) -> str:
        return f"http://{HOST}:{port or self.port}"

    def token(self) -> str:
        """The admin credential: ``$NEXUS_HOME/token``, else the OS keyring."""
        from nexus.admin_credential import read_admin_token

        token = read_admin_token(self.home)
        if token is None:
            raise Unavailable(
                f"no emulator token in {self.paths.token} nor in the OS keyring",
                hint="nexus ai emulator start  # creates it",
            )
        return token


def load_settings() -> Settings:
    """The NEXUS_* settings; a bad value is a usage error naming the variable."""
    try:
        return Settings.load()
    except SettingsError as exc:
        raise UsageError(exc.message, hint=exc.hint) from None


def pid_alive(pid: int) -> bool:
    """True when ``pid`` runs and is not a zombie (reaped here if it is our child)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _is_emulator(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the pid file
    return b"nexus_emulator" in cmdline


def running_info(em: Emulator) -> dict[str, Any] | None:
    """The content of emulator.json when it names a live emulator, else None."""
    try:
        info = json.loads(em.paths.info.read_text(encoding="utf-8"))
        pid = int(info["pid"])
        int(info["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (pid_alive(pid) and _is_emulator(pid)):
        return None
    return dict(info)


def port_in_use_error(port: int) -> Unavailable:
    other = port + 1 if port < 65535 else port - 1
    return Unavailable(
        f"port {port} on {HOST} is already in use by another program",
        hint=f"pick another port: nexus ai emulator start --port {other} "
        f"(or export NEXUS_EMULATOR_PORT={other} for every nexus command)",
    )


def log_tail(em: Emulator, since: int = 0, lines: int = 15) -> list[str]:
    try:
        with em.log_path.open("rb") as fh:
            fh.seek(since)
            data = fh.read().decode("utf-8", "replace")
    except OSError:
        return []
    return [line for line in data.splitlines() if line.strip()][-lines:]


def command(em: Emulator, runtime: str | None) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "nexus_emulator",
        "--host",
        HOST,
        "--port",
        str(em.port),
        "--home",
        str(em.home),
    ]
    if runtime:
        cmd += ["--runtime", runtime]
    return cmd


def started_line(port: int, runtime: str | None, asked: str | None) -> str:
    line = f"Started the local emulator on {HOST}:{port} (runtime: {runtime or 'unknown'})"
    if runtime == "process":
        why = "Docker is not available, so " if asked in (None, "auto") else ""
        line = line[:-1] + f"; {why}agents run as local processes)"
    return line


def start(
    em: Emulator,
    *,
    runtime: str | None = None,
    notice: Notice | None = None,
    timeout: float = READY_TIMEOUT,
) -> dict[str, Any]:
    """Start a detached emulator and wait until it is ready; return its emulator.json.

    The returned dict has ``"started": False`` when one was already running.
    """
    em.paths.ensure()
    # one starter at a time per home: a second command waits, then finds it running
    with em.paths.lock.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        info = running_info(em)
        if info is not None:
            return {**info, "started": False}
        return _spawn(em, runtime, notice, timeout)


def _spawn(
    em: Emulator, runtime: str | None, notice: Notice | None, timeout: float
) -> dict[str, Any]:
    from nexus_local.client import get_status

    em.paths.info.unlink(missing_ok=True)  # stale: its process is gone
    had_token = em.paths.token.exists()
    fd = os.open(em.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "ab") as log:
        offset = log.tell()
        proc = subprocess.Popen(
            command(em, runtime),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            close_fds=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            raise _exited(em, code, offset)
        info = _own_info(em, proc.pid)
        if info is not None:
            answer = get_status(em.url(int(info["port"])), "/v1/health/ready", timeout=1.0)
            if answer is not None and answer[0] == 200:
                runtime_used = answer[1].get("runtime") if isinstance(answer[1], dict) else None
                if notice is not None:
                    notice(started_line(int(info["port"]), runtime_used, runtime))
                    if not had_token and em.paths.token.exists():  # said once, when made
                        notice(f"No OS keyring here: the admin token is in {em.paths.token} (0600)")
                return {**info, "runtime": runtime_used, "started": True}
        time.sleep(0.05)
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
    raise Unavailable(
        f"the local emulator did not become ready within {timeout:.0f}s (stopped it)",
        details=log_tail(em, offset),
        hint=f"see the whole log: nexus ai emulator logs  ({em.log_path})",
    )


def _own_info(em: Emulator, pid: int) -> dict[str, Any] | None:
    try:
        info = json.loads(em.paths.info.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return dict(info) if isinstance(info, dict) and info.get("pid") == pid else None


def _exited(em: Emulator, code: int, offset: int) -> NexusError:
    if code == PORT_IN_USE_EXIT:
        return port_in_use_error(em.port)
    return OperationFailed(
        f"the local emulator exited with code {code} while starting",
        details=log_tail(em, offset),
        hint=f"see the whole log: nexus ai emulator logs  ({em.log_path})",
    )


def ensure_running(em: Emulator, notice: Notice | None = None) -> int:
    """The port of this home's emulator, starting it first when it is not running."""
    info = running_info(em)
    if info is None:
        info = start(em, runtime=load_settings().runtime, notice=notice)
    return int(info["port"])


def stop(em: Emulator, timeout: float = 10.0) -> tuple[dict[str, Any] | None, bool]:
    """SIGTERM the running emulator and wait; returns (its info or None, killed)."""
    info = running_info(em)
    if info is None:
        em.paths.info.unlink(missing_ok=True)
        return None, False
    pid = int(info["pid"])
    killed = False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
        killed = True
        while pid_alive(pid):
            time.sleep(0.05)
    em.paths.info.unlink(missing_ok=True)
    return info, killed


def run_foreground(em: Emulator, runtime: str | None) -> int:
    """Run the emulator attached to this terminal until it stops; return its exit code."""
    if (info := running_info(em)) is not None:
        raise UsageError(
            f"the local emulator of {em.home} already runs (pid {info['pid']}, "
            f"port {info['port']})",
            hint="nexus ai emulator stop  # then start it again",
        )
    em.paths.ensure()
    proc = subprocess.Popen(command(em, runtime))
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait()
    if code == PORT_IN_USE_EXIT:
        raise port_in_use_error(em.port)
    return code
