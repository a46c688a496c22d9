"""kill -9 of the emulator loses nothing: state, versions and serving replicas come back."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.emulator.conftest import Emu, start_emulator, write_agent


def restart_after_kill(emu: Emu) -> None:
    emu.proc.send_signal(signal.SIGKILL)
    emu.proc.wait(timeout=10)
    again = start_emulator(emu.home, emu.port, emu.runtime)
    emu.proc, emu.client = again.proc, again.client


def run_when_ready(emu: Emu, text: str) -> dict[str, Any]:
    for _ in range(300):
        r = emu.client.post("/agents/echo/run", json={"input": text})
        if r.status_code == 200:
            return dict(r.json())
        time.sleep(0.1)
    raise AssertionError(f"no answer after restart: {r.status_code} {r.text}")


def test_kill_9_after_deploy(emu: Emu, tmp_path: Path) -> None:
    project = write_agent(tmp_path / "echo")
    emu.deploy("echo", project, label="1.0.0")
    history = emu.client.get("/v1/agents/echo/history").json()
    restart_after_kill(emu)
    assert emu.client.get("/v1/agents/echo/history").json() == history
    assert run_when_ready(emu, "back")["metadata"]["version"] == "1.0.0"


def test_kill_9_during_a_deploy_keeps_the_old_version(emu: Emu, tmp_path: Path) -> None:
    project = write_agent(tmp_path / "echo")
    emu.deploy("echo", project, label="1.0.0")
    # v2 answers /ping only after a while, so the emulator dies mid-rollout
    write_agent(project, tag="v2", extra="\nimport time\ntime.sleep(3)\n")
    source = emu.upload(project)
    body: dict[str, Any] = {
        "source_id": source,
        "project": {"entrypoint": "agent:EchoAgent"},
        "label": "2.0.0",
    }

    def deploy() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the emulator dies under it
            emu.deploy("echo", **body)

    worker = threading.Thread(target=deploy, daemon=True)
    worker.start()
    for _ in range(200):
        replicas = emu.client.get("/v1/agents/echo").json()["environments"][0]["replicas"]
        started = [h for h in _runtime_replicas(emu) if h.revision == 2]
        if started:
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"the second rollout never started a replica: {replicas}")
    restart_after_kill(emu)
    worker.join(timeout=30)
    out = run_when_ready(emu, "after crash")
    assert out["output"]["tag"] == "v1"
    assert out["metadata"]["version"] == "1.0.0"
    history = emu.client.get("/v1/agents/echo/history").json()
    assert [v["label"] for v in history["versions"]] == ["1.0.0"]
    for _ in range(100):  # reconcile stops the half-started replica
        if not [h for h in _runtime_replicas(emu) if h.revision == 2 and h.running]:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the half-started replica of 2.0.0 is still running")


def _runtime_replicas(emu: Emu) -> list[Any]:
    import asyncio

    from nexus_emulator.runtime import select_runtime

    runtime = select_runtime(emu.runtime, emu.home.resolve())
    try:
        return list(asyncio.run(runtime.replicas()))
    finally:
        asyncio.run(runtime.close())
