"""The process runtime: replicas as local subprocesses, where no container engine answers.

An artifact is a directory ``home/artifacts/<agent>/r<revision>/`` holding a
copy of the project (``app/``), of the SDK (``sdk/nexus``) and a virtualenv
(``venv/``) with the dependencies from the shared host-built wheel cache.
Each replica has a JSON record and a log file in ``home/replicas/`` so a
restarted emulator finds the replicas it left running.

Limits are not enforced: a ``preexec_fn`` is unsafe in a threaded server, and
RLIMIT_AS caps address space, not memory (thread stacks and malloc arenas
reserve far more than they use), so it would break sound agents at limits
they never reach. ``isolation`` says so.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from nexus.settings import HomePaths

from . import _procs
from ._files import copy_tree, digest_inputs, sdk_root
from ._secrets import PLATFORM_FILE, remove_secrets, write_secrets
from .base import (
    Artifact,
    BuildFailed,
    BuildSpec,
    LogFn,
    ReplicaFailed,
    ReplicaHandle,
    ReplicaSpec,
    Runtime,
)
from .wheels import ensure_wheelhouse, host_python_version, run_logged, threadsafe_log

STOP_TIMEOUT = 7.0  # seconds between SIGTERM and SIGKILL (the SDK drains for up to 5 s)
# Host variables a replica inherits; everything else comes from the spec.
PASS_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR")


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ProcessRuntime(Runtime):
    name = "process"
    isolation = (
        "process: runs as a local subprocess, no container isolation; "
        "CPU and memory limits not enforced"
    )

    def __init__(self, home: Path, *, sdk_dir: Path | None = None) -> None:
        self.home = Path(home).resolve()
        self.sdk_dir = sdk_dir  # holds the `nexus` package; default: the installed SDK
        self.records = HomePaths(self.home).replicas
        self._children: dict[int, subprocess.Popen[bytes]] = {}

    async def check(self) -> None:
        return None  # a subprocess can always be started

    # ------------------------------------------------------------------ build

    async def build(self, spec: BuildSpec, log: LogFn) -> Artifact:
        if spec.image:
            raise BuildFailed(
                "the process runtime cannot run a container image (--image needs Docker); "
                "start the Docker engine and restart the emulator with `--runtime docker`",
                [],
            )
        artifact: Artifact = await asyncio.to_thread(self._build_sync, spec, threadsafe_log(log))
        return artifact

    def _build_sync(self, spec: BuildSpec, log: LogFn) -> Artifact:
        final = HomePaths(self.home).artifacts / spec.agent / f"r{spec.revision}"
        work = final.with_name(f"{final.name}.tmp-{uuid.uuid4().hex[:8]}")
        sdk_package = (self.sdk_dir or sdk_root()) / "nexus"
        try:
            log(f"Copying the project into {final / 'app'}")
            if spec.mount is not None:  # hot reload: the project itself, never a copy
                work.mkdir(parents=True)
                (work / "app").symlink_to(spec.mount, target_is_directory=True)
            else:
                copy_tree(spec.source_dir, work / "app")
            copy_tree(sdk_package, work / "sdk" / "nexus")
            venv = work / "venv"
            code, tail = run_logged([sys.executable, "-m", "venv", "--without-pip", str(venv)], log)
            if code != 0:
                raise BuildFailed(f"creating the virtualenv failed (exit {code})", tail)
            if spec.dependencies:
                self._install(spec.dependencies, venv, log)
            mounted = [f"mount:{spec.mount}"] if spec.mount is not None else []
            digest = digest_inputs(
                {"app": spec.source_dir, "sdk": sdk_package},
                [*sorted(spec.dependencies), host_python_version(), spec.entrypoint, *mounted],
            )
            meta = {"agent": spec.agent, "revision": spec.revision, "entrypoint": spec.entrypoint}
            if spec.mount is not None:
                meta["mount"] = str(spec.mount)
            (work / "artifact.json").write_text(json.dumps(meta | {"digest": digest}))
            if final.exists():
                shutil.rmtree(final)
            work.rename(final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        log(f"Built {final} ({digest[:19]})")
        return Artifact(ref=str(final), digest=digest, base=None)

    def _install(self, dependencies: list[str], venv: Path, log: LogFn) -> None:
        wheelhouse = ensure_wheelhouse(self.home, dependencies, log)
        log("Installing the dependencies into the virtualenv")
        code, tail = run_logged(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(_venv_python(venv)),
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "--no-index",
                "--find-links",
                str(wheelhouse),
                "-r",
                str(wheelhouse / "requirements.txt"),
            ],
            log,
        )
        if code != 0:
            raise BuildFailed(f"installing the dependencies failed (pip exited with {code})", tail)

    async def remove_artifact(self, artifact: Artifact) -> None:
        path = Path(artifact.ref)
        if path.parent.parent == HomePaths(self.home).artifacts:  # <agent>/r<N>
            await asyncio.to_thread(shutil.rmtree, path, True)

    async def collect(self, keep: set[str]) -> list[str]:
        def sweep() -> list[str]:
            root, gone = HomePaths(self.home).artifacts, []
            for path in root.glob("*/r*") if root.is_dir() else []:
                if path.is_dir() and str(path) not in keep:
                    shutil.rmtree(path, ignore_errors=True)
                    gone.append(str(path))
            return gone

        return await asyncio.to_thread(sweep)

    # ------------------------------------------------------------------ replicas

    async def start(self, spec: ReplicaSpec) -> ReplicaHandle:
        return await asyncio.to_thread(self._start_sync, spec)

    def _start_sync(self, spec: ReplicaSpec) -> ReplicaHandle:
        root = Path(spec.artifact.ref)
        python = _venv_python(root / "venv")
        try:
            meta = json.loads((root / "artifact.json").read_text())
        except (OSError, ValueError) as exc:
            raise ReplicaFailed(f"artifact {root} is missing or damaged: {exc}") from exc
        port = _free_port()
        env = {k: os.environ[k] for k in PASS_ENV if k in os.environ}
        env.update(spec.environment)
        env.update(spec.secrets)  # a subprocess: its environment is as private as it gets here
        files = None
        if spec.platform:
            tag = f"{spec.agent}-{spec.env}-r{spec.revision}-{spec.replica}-{secrets.token_hex(3)}"
            files = write_secrets(self.home, f"nexus-p-{tag}", {}, os.getuid(), spec.platform)
            env["NEXUS_PLATFORM_FILE"] = str(files / PLATFORM_FILE)
        env.update(
            PYTHONPATH=f"{root / 'app'}{os.pathsep}{root / 'sdk'}",
            PYTHONUNBUFFERED="1",
            NEXUS_ENTRYPOINT=meta["entrypoint"],
            NEXUS_HOST="127.0.0.1",
            PORT=str(port),
        )
        if meta.get("mount"):  # nexus ai agent dev: re-import on change, leave the tree as is
            env.update(NEXUS_RELOAD="1", PYTHONDONTWRITEBYTECODE="1")
        self.records.mkdir(parents=True, exist_ok=True)
        pending = self.records / f"starting-{uuid.uuid4().hex}.log"
        with pending.open("wb") as out:
            try:
                child = subprocess.Popen(
                    [str(python), "-m", "nexus.ai.agents.serve"],
                    cwd=root / "app",
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as exc:
                pending.unlink(missing_ok=True)
                remove_secrets(str(files) if files else None)
                raise ReplicaFailed(f"could not start {python}: {exc}") from exc
        handle_id = f"pid:{child.pid}"
        pending.rename(self._log_path(handle_id))
        self._children[child.pid] = child
        record = {
            "id": handle_id,
            "pid": child.pid,
            "port": port,
            "start_ticks": _procs.start_ticks(child.pid),
            "agent": spec.agent,
            "env": spec.env,
            "revision": spec.revision,
            "replica": spec.replica,
            "artifact": str(root),
            "started": time.time(),
            "files": str(files) if files else None,
        }
        self._record_path(handle_id).write_text(json.dumps(record))
        return self._handle(record)

    def _record_path(self, handle_id: str) -> Path:
        return self.records / f"{handle_id.replace(':', '-')}.json"

    def _log_path(self, handle_id: str) -> Path:
        return self.records / f"{handle_id.replace(':', '-')}.log"

    def _alive(self, record: dict[str, Any]) -> bool:
        pid = int(record["pid"])
        child = self._children.get(pid)
        if child is not None and child.poll() is not None:
            return False  # ours and exited (now reaped)
        return _procs.is_same_process(pid, record.get("start_ticks"))

    def _handle(self, record: dict[str, Any], running: bool = True) -> ReplicaHandle:
        return ReplicaHandle(
            id=record["id"],
            endpoint=f"http://127.0.0.1:{record['port']}" if running else "",
            agent=record["agent"],
            env=record["env"],
            revision=int(record["revision"]),
            replica=int(record["replica"]),
            running=running,
            files=record.get("files"),
        )

    def _load(self, handle_id: str) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self._record_path(handle_id).read_text())
        except (OSError, ValueError):
            return None
        return data

    async def running(self, handle_id: str) -> bool:
        record = self._load(handle_id)
        return record is not None and self._alive(record)

    async def replicas(self) -> list[ReplicaHandle]:
        handles = []
        for path in sorted(self.records.glob("pid-*.json")):
            record = self._load(path.stem.replace("-", ":", 1))
            if record is not None:
                handles.append(self._handle(record, self._alive(record)))
        return handles

    async def stop(self, handle_id: str) -> None:
        record = self._load(handle_id)
        if record is not None:
            await asyncio.to_thread(self._stop_sync, record)
            remove_secrets(record.get("files"))
        self._record_path(handle_id).unlink(missing_ok=True)
        self._log_path(handle_id).unlink(missing_ok=True)

    def _stop_sync(self, record: dict[str, Any]) -> None:
        pid = int(record["pid"])
        child = self._children.pop(pid, None)
        if child is not None and child.poll() is not None:
            return  # exited already (and now reaped)
        if child is None and not _procs.is_same_process(pid, record.get("start_ticks")):
            return
        _procs.terminate(pid, child, STOP_TIMEOUT, record.get("start_ticks"))

    async def follow(
        self, handle_id: str, from_start: bool = False, since: float | None = None
    ) -> AsyncIterator[str]:
        path = self._log_path(handle_id)
        try:
            handle = path.open("rb")
        except OSError:
            return
        with handle:
            if not from_start:
                handle.seek(0, os.SEEK_END)
            pending = b""
            idle = 0
            while True:
                data = handle.read()
                if data:
                    idle = 0
                    pending += data
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        yield line.decode("utf-8", errors="replace")
                    continue
                idle += 1
                if idle % 10 == 0 and not await self.running(handle_id):
                    return
                await asyncio.sleep(0.2)

    async def logs(self, handle_id: str, tail: int = 50, since: float | None = None) -> list[str]:
        return await asyncio.to_thread(_procs.tail_file, self._log_path(handle_id), tail)
