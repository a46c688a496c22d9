"""Start, poll and stop a private emulator for a benchmark (tmp NEXUS_HOME, free port)."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, BinaryIO

from _common import ROOT, bench_env, free_port, nexus_bin, stop_process


class Emulator:
    def __init__(self, home: Path, port: int, env: dict[str, str], log: Path) -> None:
        self.home, self.port, self.env, self.log_path = home, port, env, log
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None

    def start(self, timeout: float = 30.0) -> float:
        """Spawn ``python -m nexus_emulator``; seconds until /v1/health/ready answers 200."""
        self._log = self.log_path.open("ab")
        argv = [sys.executable, "-m", "nexus_emulator", "--port", str(self.port)]
        argv += ["--home", str(self.home)]
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(argv, env=self.env, stdout=self._log, stderr=self._log)
        deadline = t0 + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(
                    f"the emulator exited ({self.proc.returncode}); see {self.log_path}"
                )
            if self.status("/v1/health/ready") == 200:
                return time.perf_counter() - t0
            time.sleep(0.005)
        raise SystemExit(f"the emulator was not ready within {timeout:.0f} s; see {self.log_path}")

    @property
    def pid(self) -> int:
        assert self.proc is not None, "not started"
        return self.proc.pid

    def status(self, path: str) -> int | None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
        try:
            conn.request("GET", path)
            return conn.getresponse().status
        except OSError:
            return None
        finally:
            conn.close()

    def token(self) -> str:
        return (self.home / "token").read_text().strip()

    def call(self, method: str, path: str, body: Any = None) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Authorization": f"Bearer {self.token()}", "Content-Type": "application/json"}
        try:
            data = None if body is None else json.dumps(body)
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            if resp.status >= 400:
                raise RuntimeError(f"{method} {path}: HTTP {resp.status} {payload[:300]!r}")
            return json.loads(payload) if payload else None
        finally:
            conn.close()

    def stop(self, reset: bool = True) -> None:
        """Remove every replica (POST /v1/admin/reset) then stop the process."""
        if self.proc is None:
            return
        if reset and self.proc.poll() is None:
            try:
                self.call("POST", "/v1/admin/reset")
            except (OSError, RuntimeError) as exc:
                print(f"warning: reset failed: {exc}", file=sys.stderr)
        stop_process(self.proc)
        self.proc = None
        if self._log is not None:
            self._log.close()


def healthy_replica(env: dict[str, str], name: str) -> dict[str, Any]:
    """A healthy replica of ``name`` with an endpoint, from ``nexus ai agent status --json``."""
    argv = [nexus_bin(), "ai", "agent", "status", name, "--json"]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    status = json.loads(proc.stdout)
    for environment in status["environments"]:
        for replica in environment["replicas"]:
            if replica.get("endpoint") and replica["state"] == "healthy":
                return dict(replica)
    raise SystemExit(f"no healthy replica with an endpoint in: {proc.stdout}")


def replica_endpoint(env: dict[str, str], name: str) -> str:
    """The endpoint the emulator calls a healthy replica of ``name`` at."""
    return str(healthy_replica(env, name)["endpoint"])


def with_hello(tmp: Path) -> tuple[Emulator, dict[str, str], Path]:
    """A private emulator (not started yet), its environment, and a copy of examples/hello."""
    home, port = tmp / "home", free_port()
    home.mkdir()
    env = bench_env(home, port)
    project = tmp / "hello"
    shutil.copytree(ROOT / "examples" / "hello", project)
    return Emulator(home, port, env, tmp / "emulator.log"), env, project


def replica_headers(home: Path, name: str, env: str = "development") -> dict[str, str]:
    """What the emulator presents to replica 0 of ``name`` r1: a direct call needs it too."""
    sys.path.insert(0, str(ROOT / "emulator"))
    from nexus_emulator.identity.service import Identity
    from nexus_emulator.relay import REPLICA_SECRET_HEADER

    return {REPLICA_SECRET_HEADER: Identity(home, "", "").replica_secret(name, env, 1, 0)}
