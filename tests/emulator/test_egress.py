"""Egress per deployment through the emulator: ``network = "platform"`` or ``"public"``.

On Docker a platform-only replica reaches the platform API with its workload token
and cannot open a connection to a listener this test runs on a host address (the
engine's default bridge gateway); a public replica of the same version can. On the
process runtime the setting is kept and shown, and `status` says it is not enforced.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from nexus_emulator.runtime._network import gateway

from tests.emulator.conftest import Emu, write_agent

PROBE = """

import asyncio
import socket
import urllib.error
import urllib.request


def _probe(platform_url, token, host, port):
    out = {}
    request = urllib.request.Request(
        platform_url + "/v1/platform/identity", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            out["platform"] = answer.status
    except urllib.error.HTTPError as exc:
        out["platform"] = exc.code
    except OSError as exc:
        out["platform"] = type(exc).__name__
    try:
        socket.create_connection((host, port), timeout=3).close()
        out["host"] = "open"
    except OSError as exc:
        out["host"] = type(exc).__name__
    return out


class Probe(EchoAgent):
    async def process(self, input):
        return await asyncio.to_thread(
            _probe, self.platform_url, self.workload_token, input["host"], input["port"]
        )
"""


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listener on the engine's default bridge gateway: a host address, not the platform's."""
    client = docker.from_env()
    try:
        address = gateway(client.networks.get("bridge").attrs)
    finally:
        client.close()
    assert address
    sock = socket.socket()
    sock.bind((address, 0))
    sock.listen(8)
    yield sock
    sock.close()


def _deploy(emu: Emu, project: Path, **body: Any) -> None:
    events = emu.deploy("probe", project, project={"entrypoint": "agent:Probe"}, **body)
    assert events[-1]["event"] == "result", events


def _probe(emu: Emu, target: tuple[str, int]) -> dict[str, Any]:
    r = emu.client.post("/agents/probe/run", json={"input": {"host": target[0], "port": target[1]}})
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()["output"]
    return out


def _network(emu: Emu) -> dict[str, Any]:
    [env] = emu.client.get("/v1/agents/probe").json()["environments"]
    return {"network": env["network"], "egress": env["egress"]}


@pytest.mark.docker
@pytest.mark.parametrize("emu", ["docker"], indirect=True)
def test_platform_only_replicas_reach_the_platform_and_nothing_else(
    emu: Emu, tmp_path: Path, listener: socket.socket
) -> None:
    project = write_agent(tmp_path / "probe", extra=PROBE)
    target = listener.getsockname()

    _deploy(emu, project, network="platform")
    shown = _network(emu)
    assert shown["network"] == "platform"
    assert shown["egress"].startswith("enforced")
    sealed = _probe(emu, target)
    assert sealed == {"platform": 200, "host": "ConnectionRefusedError"}

    _deploy(emu, project)  # left out: the environment keeps what it runs
    assert _network(emu)["network"] == "platform"
    assert _probe(emu, target)["host"] == "ConnectionRefusedError"

    _deploy(emu, project, network="public")
    assert _network(emu)["network"] == "public"
    assert _probe(emu, target) == {"platform": 200, "host": "open"}


@pytest.mark.parametrize("emu", ["process"], indirect=True)
def test_the_process_runtime_keeps_the_setting_and_says_it_is_not_enforced(
    emu: Emu, tmp_path: Path
) -> None:
    project = write_agent(tmp_path / "probe", extra=PROBE)
    _deploy(emu, project, network="platform")
    shown = _network(emu)
    assert shown["network"] == "platform"
    assert shown["egress"].startswith("not enforced")
    bad = emu.deploy("probe", project, project={"entrypoint": "agent:Probe"}, network="nowhere")
    assert bad[-1]["event"] == "http_error"
    assert bad[-1]["status"] == 400
    assert "network" in str(bad[-1]["error"])
    assert _network(emu)["network"] == "platform"  # nothing changed
