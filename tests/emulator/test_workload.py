"""Workload identity: every replica gets a short-lived token of its service account
``agent:<name>:<env>`` through its in-memory platform file, refreshed without a
restart; the token reaches the platform API and nothing else; a replica's own port
answers only the emulator (a per-replica secret), on both runtimes."""

from __future__ import annotations

import base64
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from tests.emulator.conftest import Emu, start_emulator, write_agent

WHO = """

import asyncio
import json
import urllib.error
import urllib.request


def _get(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def _connect(address):
    import socket

    try:
        socket.create_connection((address, 8080), timeout=2).close()
        return "open"
    except OSError as exc:
        return f"blocked: {exc}"


class Who(EchoAgent):
    async def process(self, input):
        if input.startswith("connect:"):
            return await asyncio.to_thread(_connect, input[8:])
        token = self.workload_token
        out = {"token": token, "platform": None, "control": None, "platform_url": self.platform_url}
        if self.platform_url:
            out["platform"] = await asyncio.to_thread(
                _get, self.platform_url + "/v1/platform/identity", token
            )
            out["control"] = await asyncio.to_thread(_get, self.platform_url + "/v1/agents", token)
        return out
"""
TTL = 6


@pytest.fixture(params=["process", pytest.param("docker", marks=pytest.mark.docker)])
def wemu(
    request: pytest.FixtureRequest, tmp_path: Path, free_port: int, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Emu]:
    monkeypatch.setenv("NEXUS_WORKLOAD_TTL", str(TTL))
    home = tmp_path / "home"
    home.mkdir()
    emu = start_emulator(home, free_port, request.param)
    try:
        yield emu
    finally:
        emu.client.post("/v1/admin/reset", timeout=120)
        emu.stop()


def claims_of(token: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    return payload


def run(emu: Emu) -> dict[str, Any]:
    r = emu.client.post("/agents/who/run", json={"input": "x"})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_workload_token_refreshed_and_replica_port_closed(wemu: Emu, tmp_path: Path) -> None:
    emu = wemu
    project = write_agent(tmp_path / "who", extra=WHO)
    events = emu.deploy("who", project, project={"entrypoint": "agent:Who"})
    assert events[-1]["event"] == "result", events

    first = run(emu)
    token = first["output"]["token"]
    claims = claims_of(token)
    assert claims["sub"] == "agent:who:development"
    assert claims["aud"] == "nexus:platform"
    assert claims["iss"] == emu.url
    assert claims["exp"] - claims["iat"] == TTL
    # the platform API answers the replica (loopback, or the engine's bridge address for
    # containers), with its own token only
    status, me = first["output"]["platform"]
    assert status == 200
    assert me["subject"] == "agent:who:development"
    assert me["kind"] == "workload"
    status, refused = first["output"]["control"]
    if emu.runtime == "process":  # the main listener: the control plane refuses the token
        assert status == 403
        assert "workload token" in refused["error"]["message"]
    else:  # the replicas' own listener serves the platform paths and nothing else
        assert status == 404
    platform = urlparse(first["output"]["platform_url"])
    assert platform.hostname not in ("0.0.0.0", "", None)
    for credential in (None, "Bearer " + (emu.home / "token").read_text().strip()):
        headers = {"Authorization": credential} if credential else {}
        answer = httpx.get(emu.url + "/v1/platform/identity", headers=headers)
        assert answer.status_code in (401, 403), answer.text
    if emu.runtime == "docker":  # bound to the bridge address only, not to loopback
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{platform.port}/.well-known/jwks.json")

    # refreshed before it expires, in the same replica (no restart)
    deadline = time.monotonic() + 4 * TTL
    later = first
    while time.monotonic() < deadline:
        later = run(emu)
        if later["output"]["token"] != token:
            break
        time.sleep(0.5)
    assert later["output"]["token"] != token, "the workload token was never refreshed"
    assert later["metadata"]["replica"] == first["metadata"]["replica"]
    assert claims_of(later["output"]["token"])["exp"] >= claims["exp"]  # whole seconds

    # the replica's own port answers nobody but the emulator
    status = emu.client.get("/v1/agents/who").json()
    replica = status["environments"][0]["replicas"][0]
    endpoint = replica["endpoint"]
    direct = httpx.post(endpoint + "/invocations", json={"input": "x", "context": {"user_id": "1"}})
    assert direct.status_code == 401
    assert direct.json()["error"]["code"] == "unauthorized"
    forged = httpx.post(
        endpoint + "/invocations",
        json={"input": "x"},
        headers={"X-Nexus-Replica-Secret": "guess"},
    )
    assert forged.status_code == 401
    assert httpx.get(endpoint + "/ping").status_code == 401

    # the token is in no log, no state and (docker) not in `docker inspect`
    tokens = [token, later["output"]["token"]]
    for path in emu.home.rglob("*"):
        if path.is_file() and "identity" not in path.parts:
            data = path.read_bytes()
            assert all(t.encode() not in data for t in tokens), path
    if emu.runtime == "docker":
        inspect = subprocess.run(
            ["docker", "inspect", replica["id"]], capture_output=True, text=True, check=True
        ).stdout
        logs = subprocess.run(
            ["docker", "logs", replica["id"]], capture_output=True, text=True, check=True
        )
        for t in tokens:
            assert t not in inspect
            assert t not in logs.stdout + logs.stderr
        assert "NEXUS_PLATFORM_FILE" in inspect  # the file's path is there, not its content


@pytest.mark.docker
def test_replicas_cannot_reach_each_other(tmp_path: Path, free_port: int) -> None:
    home = tmp_path / "home"
    home.mkdir()
    emu = start_emulator(home, free_port, "docker")
    try:
        project = write_agent(tmp_path / "who", extra=WHO)
        for name in ("who", "peer"):
            events = emu.deploy(name, project, project={"entrypoint": "agent:Who"})
            assert events[-1]["event"] == "result", events
        peer = emu.client.get("/v1/agents/peer").json()["environments"][0]["replicas"][0]
        inspect = json.loads(
            subprocess.run(
                ["docker", "inspect", peer["id"]], capture_output=True, text=True, check=True
            ).stdout
        )[0]
        networks = inspect["NetworkSettings"]["Networks"]
        assert list(networks) == ["nexus-agents"]
        address = networks["nexus-agents"]["IPAddress"]
        # the host reaches the peer (the emulator relays to it); the other agent cannot
        r = emu.client.post("/agents/who/run", json={"input": f"connect:{address}"})
        assert r.json()["output"].startswith("blocked"), r.text
        # while the platform API stays reachable from the same replica
        assert run(emu)["output"]["platform"][0] == 200
    finally:
        emu.client.post("/v1/admin/reset", timeout=120)
        emu.stop()
