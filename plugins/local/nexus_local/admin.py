"""``nexus ai emulator status | logs | reset``: look at and clear one home's emulator."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from nexus_cli.errors import NexusError, UsageError
from nexus_local.client import EmulatorClient
from nexus_local.lifecycle import Emulator, running_info, start, stop
from nexus_local.models import EmulatorStatus, ResetResult

# Files that mark a directory as a Nexus home (reset refuses to empty anything else).
MARKERS = ("token", "emulator.json", "state.db", "emulator.log")


def status(em: Emulator) -> EmulatorStatus:
    info = running_info(em)
    result = EmulatorStatus(running=False, home=str(em.home), port=em.port, log=str(em.log_path))
    if info is None:
        return result
    port = int(info["port"])
    result.running, result.pid, result.port = True, int(info["pid"]), port
    result.url, result.started_at = em.url(port), info.get("started_at")
    from nexus_local.client import get_status

    answer = get_status(em.url(port), "/v1/health/ready", timeout=3.0)
    if answer is None:
        return result
    result.ready = answer[0] == 200
    if not isinstance(answer[1], dict):
        return result
    result.runtime = answer[1].get("runtime")
    try:
        with EmulatorClient(em.url(port), em.token()) as client:
            about = client.request("GET", "/v1/info", timeout=3.0)
    except NexusError:
        return result
    result.runtime = about.get("runtime") or result.runtime
    result.isolation = about.get("isolation")
    result.version = about.get("version")
    return result


def tail(path: Path, lines: int) -> list[str]:
    try:
        with path.open("rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            block = min(size, max(8192, lines * 400))
            fh.seek(size - block)
            data = fh.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return []
    return data.splitlines()[-lines:] if lines > 0 else []


def follow(path: Path, poll: float = 0.2) -> Iterator[str]:
    """New lines appended to ``path``, until interrupted (restarts when it is truncated)."""
    while not path.exists():
        time.sleep(poll)
    with path.open("rb") as fh:
        fh.seek(0, 2)
        pending = b""
        while True:
            chunk = fh.read()
            if not chunk:
                if path.stat().st_size < fh.tell():
                    fh.seek(0)
                time.sleep(poll)
                continue
            pending += chunk
            *done, pending = pending.split(b"\n")
            for line in done:
                yield line.decode("utf-8", "replace")


def _check_home(home: Path) -> None:
    if home in (Path.home().resolve(), Path("/")) or (
        home.exists() and any(home.iterdir()) and not any((home / m).exists() for m in MARKERS)
    ):
        raise UsageError(
            f"{home} does not look like a Nexus home; refusing to empty it",
            hint="point NEXUS_HOME at the emulator's state directory",
        )


def reset(em: Emulator, notice: Callable[[str], None]) -> ResetResult:
    """Remove every replica (through the emulator), stop it, then delete its state."""
    _check_home(em.home)
    removed_replicas = False
    if em.home.exists():
        try:
            info = start(em, notice=notice)
            with EmulatorClient(em.url(int(info["port"])), em.token()) as client:
                client.request("POST", "/v1/admin/reset", timeout=300.0)
            removed_replicas = True
        except NexusError as exc:
            notice(
                f"could not reach the emulator to remove replicas ({exc.message}); "
                "deleting its state anyway"
            )
        stop(em)
    removed: list[str] = []
    if em.home.exists():
        for entry in sorted(em.home.iterdir()):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry.name)
    from nexus.admin_credential import forget_admin_token

    if forget_admin_token(em.home):
        removed.append("token (OS keyring)")
    return ResetResult(home=str(em.home), replicas_removed=removed_replicas, removed=removed)
