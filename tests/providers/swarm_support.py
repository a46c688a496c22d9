"""A one-node swarm and a local registry for the swarm provider's tests and benchmarks.

The engine is shared (other tests, other test runs): a swarm is created only
when none is active, a registry started only when none answers on
127.0.0.1:5000. Every user holds a shared lock; the last one out removes
what a test created (``swarm leave --force``, the registry process) and
nothing else.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

REGISTRY = "127.0.0.1:5000"
LOCK = Path("/tmp/nexus-test-swarm.lock")
SETUP = Path("/tmp/nexus-test-swarm.setup.lock")
MARK = Path("/tmp/nexus-test-swarm.created")  # what the tests created: "swarm", "registry PID"
STORE = Path("/tmp/nexus-test-registry")
CONFIG = """\
version: 0.1
storage:
  filesystem:
    rootdirectory: {store}
  delete:
    enabled: true
http:
  addr: {addr}
"""


def _docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def swarm_state() -> str:
    return _docker("info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip()


def registry_answers() -> bool:
    try:
        with urllib.request.urlopen(f"http://{REGISTRY}/v2/", timeout=1) as answer:
            return int(answer.status) == 200
    except OSError:
        return False


def _start_registry() -> int:
    binary = shutil.which("docker-registry")
    if binary is None:
        raise RuntimeError(
            "no registry answers on 127.0.0.1:5000 and docker-registry is not installed "
            "(apt-get install -y docker-registry)"
        )
    STORE.mkdir(exist_ok=True)
    config = STORE / "config.yml"
    config.write_text(CONFIG.format(store=STORE / "data", addr=REGISTRY))
    proc = subprocess.Popen(
        [binary, "serve", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=open(STORE / "registry.log", "ab"),  # noqa: SIM115 - the child keeps it
        start_new_session=True,  # outlives this process if another test run still uses it
    )
    deadline = time.monotonic() + 15
    while not registry_answers():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"docker-registry did not start; see {STORE / 'registry.log'}")
        time.sleep(0.1)
    return proc.pid


@contextlib.contextmanager
def shared_swarm(swarm: bool = True) -> Iterator[str]:
    """Yield the registry address (and a swarm active); undo only what was created here.

    ``SETUP`` serialises set-up and tear-down; a shared lock on ``LOCK`` is held while
    in use, so the one that can turn it exclusive at tear-down is the last user.
    """
    with SETUP.open("a+") as setup, LOCK.open("a+") as lock:
        with _held(setup):
            created = MARK.read_text().split("\n") if MARK.exists() else []
            try:
                if swarm and swarm_state() != "active":
                    out = _docker("swarm", "init", "--advertise-addr", "127.0.0.1")
                    if out.returncode != 0:
                        raise RuntimeError(f"docker swarm init failed: {out.stderr.strip()}")
                    created.append("swarm")
                if not registry_answers():
                    created = [c for c in created if not c.startswith("registry")]
                    created.append(f"registry {_start_registry()}")
            finally:
                MARK.write_text("\n".join(c for c in created if c))
                fcntl.flock(lock, fcntl.LOCK_SH)
        try:
            yield REGISTRY
        finally:
            with _held(setup):
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    pass  # another test run still uses them: the last one out cleans up
                else:
                    _undo()


@contextlib.contextmanager
def _held(file: IO[str]) -> Iterator[None]:
    fcntl.flock(file, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(file, fcntl.LOCK_UN)


def _undo() -> None:
    created = MARK.read_text().split("\n") if MARK.exists() else []
    for item in created:
        if item.startswith("registry "):
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(item.split()[1]), signal.SIGTERM)
        elif item == "swarm":
            _docker("swarm", "leave", "--force", timeout=120)
    MARK.unlink(missing_ok=True)
