"""How the emulator reaches a Docker replica: its container address, else the published port.

On a Linux engine the emulator calls each replica at its address on the agents'
network, with no ``docker-proxy`` in between; ``NEXUS_REPLICA_ROUTE=published``
(and a replica that does not answer at its address) keeps the port it publishes
on 127.0.0.1. The tests read the emulator process's own TCP connections from
/proc to see which one its calls really took.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from nexus_emulator.config import EmulatorConfig
from nexus_emulator.pools import LiveReplica
from nexus_emulator.relay import Relay
from nexus_emulator.replicas import Replicas
from nexus_emulator.runtime.base import Artifact, ReplicaHandle, ReplicaSpec
from nexus_emulator.runtime.process import ProcessRuntime

from tests.emulator.conftest import Emu, running_emulator, write_agent
from tests.emulator.http_support import JsonHandler, serve

NETWORK = "nexus-agents"


def connections(pid: int) -> set[tuple[str, int]]:
    """(remote address, port) of every established TCP connection process ``pid`` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] != "01" or fields[9] not in inodes:  # 01: ESTABLISHED
            continue
        address, port = fields[2].split(":")
        ip = socket.inet_ntoa(bytes.fromhex(address)[::-1])
        found.add((ip, int(port, 16)))
    return found


def deployed(emu: Emu, tmp_path: Path) -> tuple[dict[str, str], str, int]:
    """Deploy the echo agent; (its replica as status shows it, container IP, published port)."""
    events = emu.deploy("echo", write_agent(tmp_path / "echo"))
    assert events[-1]["event"] == "result", events
    status = emu.client.get("/v1/agents/echo").json()
    [replica] = status["environments"][0]["replicas"]
    client = docker.from_env()
    try:
        attrs = client.api.inspect_container(replica["id"])
    finally:
        client.close()
    ip = attrs["NetworkSettings"]["Networks"][NETWORK]["IPAddress"]
    port = int(attrs["NetworkSettings"]["Ports"]["8080/tcp"][0]["HostPort"])
    return replica, ip, port


def called_at(emu: Emu, target: tuple[str, int]) -> set[tuple[str, int]]:
    """Run the agent; the emulator's connections once one goes to ``target`` (or after 30 s).

    The upstream connection is kept alive after the call, so it is there to be seen."""
    deadline = time.monotonic() + 30
    while True:
        r = emu.client.post("/agents/echo/run", json={"input": "hi", "context": {"user_id": "u"}})
        assert r.status_code == 200, r.text
        assert r.json()["output"]["echo"] == "hi"
        seen = connections(emu.proc.pid)
        if target in seen or time.monotonic() > deadline:
            return seen
        time.sleep(0.2)


@pytest.fixture
def docker_emu(tmp_path: Path, free_port: int) -> Iterator[Emu]:
    with running_emulator(tmp_path, free_port, "docker") as emu:
        yield emu


@pytest.fixture
def published_emu(tmp_path: Path, free_port: int) -> Iterator[Emu]:
    route = {"NEXUS_REPLICA_ROUTE": "published"}
    with running_emulator(tmp_path, free_port, "docker", route) as emu:
        yield emu


@pytest.mark.docker
def test_docker_replica_is_called_at_its_container_address(docker_emu: Emu, tmp_path: Path) -> None:
    replica, ip, port = deployed(docker_emu, tmp_path)
    assert replica["endpoint"] == f"http://{ip}:8080"
    seen = called_at(docker_emu, (ip, 8080))
    assert (ip, 8080) in seen
    assert ("127.0.0.1", port) not in seen  # not through the published port's proxy


@pytest.mark.docker
def test_published_route_calls_the_published_port(published_emu: Emu, tmp_path: Path) -> None:
    replica, ip, port = deployed(published_emu, tmp_path)
    assert replica["endpoint"] == f"http://127.0.0.1:{port}"
    seen = called_at(published_emu, ("127.0.0.1", port))
    assert ("127.0.0.1", port) in seen
    assert (ip, 8080) not in seen


class Ping(JsonHandler):
    def do_GET(self) -> None:
        if self.path == "/ping":
            self.answer(200, {"status": "Healthy"})
        else:
            self.answer(404, {})


class Unhealthy(JsonHandler):
    def do_GET(self) -> None:
        self.answer(503, {"status": "HealthyBusy"})


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def reach(tmp_path: Path, address: str, route: str = "auto") -> ReplicaHandle:
    """What ``Replicas.reach`` picks for a replica answering on a real loopback server."""
    server, url = serve(Ping)
    handle = ReplicaHandle("c1", url, "echo", "development", 1, 0, address=address)
    config = EmulatorConfig(home=tmp_path, replica_route=route)

    async def pick() -> ReplicaHandle:
        relay = Relay()
        try:
            return await Replicas(config, ProcessRuntime(tmp_path), relay).reach(handle)
        finally:
            await relay.close()

    try:
        return asyncio.run(pick())
    finally:
        server.shutdown()


def test_reach_takes_the_address_that_answers(tmp_path: Path) -> None:
    other, address = serve(Ping)
    try:
        picked = reach(tmp_path, address)
    finally:
        other.shutdown()
    assert picked.endpoint == address
    assert picked.address == address


def test_reach_keeps_the_published_port_when_the_address_fails(tmp_path: Path) -> None:
    refused = f"http://127.0.0.1:{closed_port()}"
    assert reach(tmp_path, refused).endpoint.startswith("http://127.0.0.1:")
    assert reach(tmp_path, refused).endpoint != refused
    busy, unhealthy = serve(Unhealthy)
    try:
        assert reach(tmp_path, unhealthy).endpoint != unhealthy  # answers, but not healthy
        # forced: the address is never asked, even when it would answer
        other, address = serve(Ping)
        try:
            assert reach(tmp_path, address, route="published").endpoint != address
        finally:
            other.shutdown()
    finally:
        busy.shutdown()
    assert reach(tmp_path, "").endpoint.startswith("http://127.0.0.1:")  # no address at all


class Counting(JsonHandler):
    asked: list[str] = []

    def do_GET(self) -> None:
        self.asked.append(self.path)
        self.answer(200, {"status": "Healthy"})


class NotTheReplica(JsonHandler):
    def do_GET(self) -> None:
        self.answer(404, {"error": "nothing here"})


class Started(ProcessRuntime):
    """A runtime whose one replica is already up at two real loopback servers: its
    published endpoint and its own address."""

    def __init__(self, home: Path, endpoint: str, address: str) -> None:
        super().__init__(home)
        self.handle = ReplicaHandle("c1", endpoint, "echo", "development", 1, 0, address=address)

    async def start(self, spec: ReplicaSpec) -> ReplicaHandle:
        return self.handle

    async def running(self, handle_id: str) -> bool:
        return True


def started(tmp_path: Path, endpoint: str, address: str) -> LiveReplica:
    """What ``Replicas`` starts: the replica as it is called from then on, once healthy."""
    config = EmulatorConfig(home=tmp_path, replica_timeout=30)
    spec = ReplicaSpec("echo", "development", 1, 0, Artifact("echo:r1", "", None))

    async def start() -> LiveReplica:
        relay = Relay()
        try:
            runtime = Started(tmp_path, endpoint, address)
            return await Replicas(config, runtime, relay)._start_one(spec, lambda _line: None)
        finally:
            await relay.close()

    return asyncio.run(start())


def test_a_new_replica_is_asked_at_its_address_only(tmp_path: Path) -> None:
    published, endpoint = serve(Counting)
    own, address = serve(Ping)
    Counting.asked = []
    try:
        live = started(tmp_path, endpoint, address)
    finally:
        published.shutdown()
        own.shutdown()
    assert live.state == "healthy"
    assert live.handle.endpoint == address
    assert Counting.asked == []  # the published port's proxy was never in the way


@pytest.mark.parametrize("answered", [False, True], ids=["refused", "something-else-answers"])
def test_a_new_replica_not_reached_at_its_address_is_asked_at_its_port(
    tmp_path: Path, answered: bool
) -> None:
    published, endpoint = serve(Ping)
    other, address = serve(NotTheReplica) if answered else (None, "")
    address = address or f"http://127.0.0.1:{closed_port()}"
    try:
        live = started(tmp_path, endpoint, address)
    finally:
        published.shutdown()
        if other is not None:
            other.shutdown()
    assert live.state == "healthy"
    assert live.handle.endpoint == endpoint
    assert live.handle.address == address
