"""Where replicas reach the platform, decided from the engine's facts alone.

The Linux engine's branch also runs live in the Docker tests (tests/emulator/
test_workload.py, test_egress_docker.py); Docker Desktop's cannot run on this
machine, so its branch is checked here with the facts a Desktop engine reports
(`docker info` says "Docker Desktop" as its OperatingSystem).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from nexus_emulator.config import EmulatorConfig
from nexus_emulator.platform_endpoint import open_endpoint
from nexus_emulator.runtime._egress import EgressUnavailable, platform_target, sealing_problem
from nexus_emulator.runtime._network import DESKTOP_HOST, choose_platform_address
from nexus_emulator.runtime.process import ProcessRuntime

DESKTOP_OS = "Docker Desktop"
LINUX_OS = "Debian GNU/Linux 12 (bookworm)"


class _Engine(ProcessRuntime):
    """A runtime whose engine reported ``facts`` (its address choice is the real one)."""

    def __init__(self, home: Path, engine_os: str, gateway: str | None) -> None:
        super().__init__(home)
        self.facts = (engine_os, gateway)

    async def platform_address(self) -> tuple[str, str] | None:
        return choose_platform_address(*self.facts)


def test_desktop_uses_host_docker_internal_and_the_main_listener() -> None:
    assert choose_platform_address(DESKTOP_OS, None) == ("", DESKTOP_HOST)
    # a gateway, had one been read, changes nothing: Desktop's VM owns it, not the host
    assert choose_platform_address(DESKTOP_OS, "192.168.65.1") == ("", DESKTOP_HOST)


def test_a_linux_engine_gets_a_listener_on_its_network_gateway() -> None:
    assert choose_platform_address(LINUX_OS, "172.22.0.1") == ("172.22.0.1", "172.22.0.1")
    assert choose_platform_address(LINUX_OS, None) is None  # no IPv4 gateway: unreachable


def test_the_desktop_endpoint_is_the_main_port_on_host_docker_internal(tmp_path: Path) -> None:
    config = EmulatorConfig(home=tmp_path, port=18470)
    endpoint = asyncio.run(open_endpoint(_Engine(tmp_path, DESKTOP_OS, None), config))
    assert endpoint is not None
    assert endpoint.url == "http://host.docker.internal:18470"
    assert endpoint.sock is None  # no second listener: nothing new is bound


def test_a_linux_endpoint_listens_on_the_gateway_it_was_given(tmp_path: Path) -> None:
    config = EmulatorConfig(home=tmp_path, port=18470)
    # 127.0.0.1 stands in for a gateway address this test may bind without an engine
    endpoint = asyncio.run(open_endpoint(_Engine(tmp_path, LINUX_OS, "127.0.0.1"), config))
    assert endpoint is not None
    assert endpoint.sock is not None
    try:
        host, port = endpoint.sock.getsockname()
        assert host == "127.0.0.1"
        assert endpoint.url == f"http://127.0.0.1:{port}"
    finally:
        endpoint.sock.close()


def test_platform_only_egress_is_refused_on_desktop_with_its_reason() -> None:
    assert "Docker Desktop" in (sealing_problem(DESKTOP_OS) or "")
    with pytest.raises(EgressUnavailable, match=r"host\.docker\.internal is not supported"):
        platform_target("http://host.docker.internal:8470")
    assert platform_target("http://172.22.0.1:8471") == ("172.22.0.1", 8471)
