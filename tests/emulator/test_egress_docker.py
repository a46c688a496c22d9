"""``network = "platform"`` on the Docker runtime: real containers, real connections.

A replica is asked to open TCP connections to listeners this test runs on
host addresses (the agents' network gateway, where the platform listens, and
the engine's default bridge gateway). A public replica opens them all; a
platform-only one opens the platform's listener only, and the holder of its
network goes with it.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import docker
import pytest
from docker.errors import NotFound
from nexus_emulator.runtime._egress import LABEL_HOLDER, LABEL_NETNS
from nexus_emulator.runtime._network import ensure_network, gateway
from nexus_emulator.runtime.base import Artifact, BuildSpec, ReplicaFailed, ReplicaSpec
from nexus_emulator.runtime.docker import DockerRuntime

from tests.emulator.runtime_support import run, wait_until, write_project
from tests.emulator.test_runtime_docker import cleanup

pytestmark = pytest.mark.docker

PROBE = """
import socket

from nexus.ai.agents import Agent


class Hello(Agent):
    async def process(self, input):
        seen = {}
        for host, port in input["targets"]:
            s = socket.socket()
            s.settimeout(3)
            try:
                s.connect((host, port))
                seen[f"{host}:{port}"] = "open"
            except OSError as exc:
                seen[f"{host}:{port}"] = type(exc).__name__
            finally:
                s.close()
        try:
            socket.getaddrinfo(input["name"], 80)  # a container name: the engine's DNS
            seen["dns"] = "resolved"
        except OSError as exc:
            seen["dns"] = type(exc).__name__
        return seen
"""

Setup = tuple[DockerRuntime, Any, Artifact]
SECRET = uuid.uuid4().hex  # what the emulator would present to the replica


def _call(endpoint: str, path: str, payload: Any = None) -> Any:
    request = urllib.request.Request(
        endpoint + path,
        data=None if payload is None else json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "X-Nexus-Replica-Secret": SECRET},
    )
    with urllib.request.urlopen(request, timeout=15) as reply:
        return json.loads(reply.read())


def _healthy(endpoint: str) -> bool:
    try:
        return "status" in _call(endpoint, "/ping")
    except (OSError, urllib.error.URLError, ValueError):
        return False


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    home = tmp_path_factory.mktemp("egress-home")
    runtime, client = DockerRuntime(home), docker.from_env()
    name = f"egress-{uuid.uuid4().hex[:6]}"
    project = write_project(tmp_path_factory.mktemp("egress"), name, code=PROBE)
    artifact = run(runtime.build(BuildSpec(name, 1, project, "agent:Hello"), lambda _: None))
    yield runtime, client, artifact
    run(runtime.close())
    cleanup(client, runtime.home)
    client.close()


def _listen(address: str) -> socket.socket:
    sock = socket.socket()
    sock.bind((address, 0))
    sock.listen(8)
    return sock


def _start(setup: Setup, network: str, platform_url: str) -> Any:
    runtime, _client, artifact = setup
    agent = artifact.ref.split("/")[1].split(":")[0]
    platform = {"platform_url": platform_url, "replica_secret": SECRET}
    spec = ReplicaSpec(agent, "development", 1, 0, artifact, platform=platform, network=network)
    return run(runtime.start(spec))


def test_platform_replica_reaches_the_platform_listener_only(probe: Setup) -> None:
    runtime, client, _ = probe
    agents_gw = gateway(ensure_network(client).attrs)
    bridge_gw = gateway(client.networks.get("bridge").attrs)
    assert agents_gw
    assert bridge_gw
    platform, other, bridge = _listen(agents_gw), _listen(agents_gw), _listen(bridge_gw)
    try:
        url = f"http://{agents_gw}:{platform.getsockname()[1]}"
        targets = [list(s.getsockname()) for s in (platform, other, bridge)]
        keys = [f"{host}:{port}" for host, port in targets]
        results = {}
        for network in ("public", "platform"):
            handle = _start(probe, network, url)
            try:
                # the emulator's calls get through
                assert wait_until(lambda h=handle: _healthy(h.endpoint), timeout=60)
                name = client.containers.get(handle.id).name
                ask = {"targets": targets, "name": name + ("-net" if network == "platform" else "")}
                results[network] = _call(handle.endpoint, "/invocations", {"input": ask})
            finally:
                run(runtime.stop(handle.id))
        public, sealed = results["public"]["output"], results["platform"]["output"]
        assert [public[k] for k in keys] == ["open", "open", "open"]
        assert public["dns"] == "resolved"
        assert sealed[keys[0]] == "open"  # the platform endpoint
        assert sealed[keys[1]] == "ConnectionRefusedError"  # another port, same address
        assert sealed[keys[2]] == "ConnectionRefusedError"  # another host address
        assert sealed["dns"] == "gaierror"  # no name reaches the engine's resolver
    finally:
        for sock in (platform, other, bridge):
            sock.close()


def test_a_platform_replica_and_its_holder_go_together(probe: Setup) -> None:
    runtime, client, _ = probe
    gw = gateway(ensure_network(client).attrs)
    handle = _start(probe, "platform", f"http://{gw}:9")
    try:
        container = client.containers.get(handle.id)
        holder = client.containers.get(container.labels[LABEL_NETNS])
        assert holder.labels[LABEL_HOLDER] == container.name
        assert container.attrs["HostConfig"]["NetworkMode"] == f"container:{holder.id}"
        assert holder.attrs["HostConfig"]["CapDrop"] == ["ALL"]
        [listed] = [h for h in run(runtime.replicas()) if h.id == handle.id]
        assert listed.endpoint == handle.endpoint  # the holder's published port
        assert handle.id in {h.id for h in run(runtime.replicas())}
        assert holder.id not in {h.id for h in run(runtime.replicas())}
    finally:
        run(runtime.stop(handle.id))
    with pytest.raises(NotFound):
        client.containers.get(holder.id)


def test_a_platform_replica_without_an_ip_endpoint_is_refused(probe: Setup) -> None:
    runtime, client, _ = probe
    with pytest.raises(ReplicaFailed, match="IPv4 address and port"):
        _start(probe, "platform", "http://host.docker.internal:8470")
    home = {"label": f"dev.nexus.home={runtime.home}"}
    assert wait_until(lambda: client.containers.list(all=True, filters=home) == [])
    from nexus_emulator.runtime._secrets import root_path

    root = root_path(runtime.home)  # its secrets folder went too
    assert not root.exists() or not any(root.iterdir())


def test_rules_are_a_function_of_the_endpoint_and_the_guard() -> None:
    from nexus_emulator.runtime._egress import platform_target, rules_v4

    target = platform_target("http://172.22.0.1:8471")
    assert target == ("172.22.0.1", 8471)
    text = rules_v4(target)
    assert "-d 172.22.0.1/32 -p tcp -m tcp --dport 8471 -j ACCEPT" in text
    assert text.index("127.0.0.11") < text.index("-o lo -j ACCEPT")  # DNS refused first
    assert "*nat" not in text  # the engine's DNS rules live there: left alone
    guarded = rules_v4(None, guard=True)
    assert "-A OUTPUT" not in guarded  # a public guarded replica keeps its egress
    assert "--dport 8080 -j REDIRECT --to-ports 8081" in guarded
