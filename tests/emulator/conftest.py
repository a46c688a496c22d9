"""A real emulator process on a free loopback port with a private NEXUS_HOME."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import tarfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

AGENT = """
from nexus.ai.agents import Agent

class EchoAgent(Agent):
    async def process(self, input):
        return {"echo": input, "user": self.context.user_id, "tag": "%(tag)s"}
"""


@dataclass
class Emu:
    url: str
    home: Path
    port: int
    runtime: str
    proc: subprocess.Popen[bytes]
    client: httpx.Client

    def upload(self, project: Path) -> str:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            tar.add(project, arcname=".")
        r = self.client.post("/v1/sources", content=buf.getvalue())
        r.raise_for_status()
        return str(r.json()["source_id"])

    def deploy(self, name: str, path: Path | None = None, **body: Any) -> list[dict[str, Any]]:
        if path is not None:
            body.setdefault("source_id", self.upload(path))
            body.setdefault("project", {"entrypoint": "agent:EchoAgent", "version": None})
        with self.client.stream(
            "POST", f"/v1/agents/{name}/deployments", json=body, timeout=300
        ) as r:
            if r.status_code != 200:
                r.read()
                return [{"event": "http_error", "status": r.status_code, **r.json()}]
            import json

            return [json.loads(line) for line in r.iter_lines() if line.strip()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)


def write_agent(root: Path, tag: str = "v1", extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "agent.py").write_text(AGENT % {"tag": tag} + textwrap.dedent(extra))
    (root / "nexus.toml").write_text('[agent]\nname = "echo"\nentrypoint = "agent:EchoAgent"\n')
    return root


def start_emulator(
    home: Path, port: int, runtime: str, extra_env: dict[str, str] | None = None
) -> Emu:
    env = {
        **os.environ,
        "NEXUS_HOME": str(home),
        "NEXUS_REPLICA_TIMEOUT": "20",
        **(extra_env or {}),
    }
    log = open(home / "test-emulator.log", "ab")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "nexus_emulator", "--port", str(port), "--runtime", runtime],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((home / "test-emulator.log").read_text())
        try:
            if httpx.get(url + "/v1/health/ready", timeout=0.5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    else:
        proc.kill()
        raise RuntimeError("emulator not ready: " + (home / "test-emulator.log").read_text())
    token = (home / "token").read_text().strip()
    client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    return Emu(url, home, port, runtime, proc, client)


@contextlib.contextmanager
def running_emulator(
    tmp_path: Path, port: int, runtime: str, extra_env: dict[str, str] | None = None
) -> Iterator[Emu]:
    """An emulator on ``port`` with its home in ``tmp_path`` (and ``extra_env`` in its
    environment); reset and stopped at the end."""
    home = tmp_path / "home"
    home.mkdir()
    e = start_emulator(home, port, runtime, extra_env)
    try:
        yield e
    finally:
        with contextlib.suppress(httpx.HTTPError):
            e.client.post("/v1/admin/reset", timeout=120)
        e.stop()


@pytest.fixture(params=["process", pytest.param("docker", marks=pytest.mark.docker)])
def emu(request: pytest.FixtureRequest, tmp_path: Path, free_port: int) -> Iterator[Emu]:
    with running_emulator(tmp_path, free_port, request.param) as e:
        yield e
