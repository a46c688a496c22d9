"""Scaling through the API: replicas follow --replicas, and the load when autoscale is on."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from tests.emulator.conftest import Emu, start_emulator, write_agent

SLOW = """

class Slow(EchoAgent):
    async def process(self, input):
        import asyncio
        await asyncio.sleep(0.3)
        return input
"""


def healthy(emu: Emu, name: str) -> list[str]:
    env = emu.client.get(f"/v1/agents/{name}").json()["environments"][0]
    return [r["id"] for r in env["replicas"] if r["state"] == "healthy"]


def test_scale_up_and_down_is_recorded(emu: Emu, tmp_path: Path) -> None:
    emu.deploy("echo", write_agent(tmp_path / "echo"), env="staging")
    up = emu.client.post("/v1/agents/echo/scale", json={"env": "staging", "replicas": 3}).json()
    env = up["environments"][0]
    assert env["replicas_desired"] == 3
    assert len(healthy(emu, "echo")) == 3
    first = healthy(emu, "echo")
    down = emu.client.post("/v1/agents/echo/scale", json={"env": "staging", "replicas": 1})
    assert down.json()["environments"][0]["replicas_desired"] == 1
    assert len(healthy(emu, "echo")) == 1
    assert healthy(emu, "echo")[0] in first
    assert emu.client.post("/agents/echo/run", json={"input": "x"}).status_code == 200
    bad = emu.client.post("/v1/agents/echo/scale", json={"env": "staging", "replicas": 4})
    assert bad.status_code == 400, bad.text
    assert "1-3" in bad.json()["error"]["message"]
    dev = emu.client.post("/v1/agents/echo/scale", json={"env": "development", "autoscale": True})
    assert dev.status_code == 400, dev.text
    events = emu.client.get("/v1/agents/echo/history").json()["events"]
    assert [e["action"] for e in events] == ["deploy", "scale", "scale"]
    # a redeploy keeps what scaling set up for the environment's autoscale flag
    emu.client.post("/v1/agents/echo/scale", json={"env": "staging", "autoscale": True})
    write_agent(tmp_path / "echo", tag="v2")
    emu.deploy("echo", tmp_path / "echo", env="staging")
    assert emu.client.get("/v1/agents/echo").json()["environments"][0]["autoscale"] is True


@pytest.mark.slow
def test_autoscale_follows_the_load(tmp_path: Path, free_port: int) -> None:
    home = tmp_path / "home"
    home.mkdir()
    os.environ["NEXUS_AUTOSCALE_WINDOW"] = "1.5"
    try:
        emu = start_emulator(home, free_port, "process")
    finally:
        del os.environ["NEXUS_AUTOSCALE_WINDOW"]
    try:
        project = write_agent(tmp_path / "slow", extra=SLOW)
        emu.deploy("slow", project, env="staging", project={"entrypoint": "agent:Slow"})
        on = emu.client.post("/v1/agents/slow/scale", json={"env": "staging", "autoscale": True})
        assert on.json()["environments"][0]["autoscale"] is True
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                emu.client.post("/agents/slow/run", json={"input": "busy"})

        workers = [threading.Thread(target=load, daemon=True) for _ in range(4)]
        for w in workers:
            w.start()
        try:
            deadline = time.monotonic() + 30
            while len(healthy(emu, "slow")) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert len(healthy(emu, "slow")) >= 2, "the autoscaler did not add a replica"
        finally:
            stop.set()
            for w in workers:
                w.join(timeout=5)
        deadline = time.monotonic() + 30
        while len(healthy(emu, "slow")) > 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(healthy(emu, "slow")) == 1, "the autoscaler did not remove idle replicas"
        actors = {e["by"] for e in emu.client.get("/v1/agents/slow/history").json()["events"]}
        assert "autoscaler" in actors
    finally:
        emu.client.post("/v1/admin/reset")
        emu.stop()


def test_scale_and_rollback_without_env_use_the_environment_deployed_to_last(
    emu: Emu, tmp_path: Path
) -> None:
    v1 = write_agent(tmp_path / "v1", tag="v1")
    emu.deploy("echo", v1, env="development", label="1.0.0")
    emu.deploy("echo", v1, env="staging", replicas=1)
    emu.deploy("echo", write_agent(tmp_path / "v2", tag="v2"), env="staging", label="2.0.0")

    def envs() -> dict[str, dict[str, object]]:
        doc = emu.client.get("/v1/agents/echo").json()
        return {e["env"]: e for e in doc["environments"]}

    up = emu.client.post("/v1/agents/echo/scale", json={"replicas": 2})
    assert up.status_code == 200, up.text
    assert up.json()["environments"][0]["env"] == "staging"
    assert envs()["staging"]["replicas_desired"] == 2
    assert envs()["development"]["replicas_desired"] == 1

    back = emu.client.post("/v1/agents/echo/rollback", json={})
    assert back.status_code == 200, back.text
    assert (back.json()["env"], back.json()["version"]["label"]) == ("staging", "1.0.0")
    assert envs()["development"]["version"] == "1.0.0"

    emu.deploy("echo", write_agent(tmp_path / "v3", tag="v3"), env="development", label="3.0.0")
    refused = emu.client.post("/v1/agents/echo/scale", json={"replicas": 2})
    assert refused.status_code == 400
    assert "development" in refused.json()["error"]["message"]
