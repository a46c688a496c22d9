"""The agents' Docker network, and where its containers reach the host.

Every replica of every emulator on the engine joins one user-defined bridge
network, ``nexus-agents``, created on first use with inter-container traffic
off (``enable_icc=false``): a replica cannot open a connection to any other
replica, of its own agent or another's, while the host (the emulator) reaches
them all: on a Linux engine at each container's address on this bridge, else
through the port each replica publishes on 127.0.0.1. The network is
shared, so emulators (and test runs) do not use up the engine's address pools;
it is left in place when an emulator stops.

The host's address on that bridge (its gateway) is where the emulator listens
for the replicas' platform calls (``platform_endpoint.py``).
"""

from __future__ import annotations

import ipaddress
from typing import Any

NETWORK = "nexus-agents"
LABEL_NETWORK = "dev.nexus.network"


def ensure_network(client: Any) -> Any:
    """The agents' network, created when missing (two emulators may race: both win)."""
    from docker.errors import APIError, NotFound

    try:
        return client.networks.get(NETWORK)
    except NotFound:
        pass
    try:
        return client.networks.create(
            NETWORK,
            driver="bridge",
            options={"com.docker.network.bridge.enable_icc": "false"},
            labels={LABEL_NETWORK: "agents"},
            check_duplicate=True,
        )
    except APIError:  # created meanwhile by another emulator
        return client.networks.get(NETWORK)


def gateway(network: dict[str, Any]) -> str | None:
    """The host's IPv4 address on a network (its IPAM gateway, else the first host), from
    the engine's description of it."""
    for config in network.get("IPAM", {}).get("Config") or []:
        address = config.get("Gateway")
        if not address and config.get("Subnet"):
            subnet = ipaddress.ip_network(config["Subnet"], strict=False)
            if subnet.version != 4:
                continue
            address = str(next(subnet.hosts()))
        if address and ipaddress.ip_address(address.split("/")[0]).version == 4:
            return str(address.split("/")[0])
    return None


DESKTOP_HOST = "host.docker.internal"


def is_desktop(engine_os: str) -> bool:
    """Whether the engine is Docker Desktop's (its ``docker info`` OperatingSystem)."""
    return "docker desktop" in engine_os.lower()


def choose_platform_address(engine_os: str, agents_gateway: str | None) -> tuple[str, str] | None:
    """Where replicas reach the platform, from the engine's facts alone.

    (address the emulator listens on, host name replicas use); "" as the address
    means the main listener serves. Docker Desktop forwards ``host.docker.internal``
    to the host's loopback, where the main listener already is; a Linux engine's
    containers reach the host on their network's gateway, which gets a listener of
    its own; with neither, replicas cannot reach the platform (None).
    """
    if is_desktop(engine_os):
        return "", DESKTOP_HOST
    return (agents_gateway, agents_gateway) if agents_gateway else None


def platform_address(client: Any) -> tuple[str, str] | None:
    engine_os = str(client.info().get("OperatingSystem", ""))
    return choose_platform_address(
        engine_os, None if is_desktop(engine_os) else gateway(ensure_network(client).attrs)
    )


def quick_platform_address() -> tuple[str, str] | None:
    """``platform_address`` read without the docker SDK (see engine.py), the way every start
    but the first one on an engine goes; LookupError when that cannot tell (the network is
    still to be created, or the engine speaks only to the SDK)."""
    from .engine import engine_json

    try:
        info = engine_json("/info")
        if info is None or info[0] != 200 or not isinstance(info[1], dict):
            raise LookupError("the engine's /info")
        engine_os = str(info[1].get("OperatingSystem", ""))
        if is_desktop(engine_os):
            return choose_platform_address(engine_os, None)
        network = engine_json(f"/networks/{NETWORK}")
    except (OSError, ValueError) as exc:
        raise LookupError(str(exc)) from exc
    if network is None or network[0] != 200 or not isinstance(network[1], dict):
        raise LookupError(f"the {NETWORK} network")
    return choose_platform_address(engine_os, gateway(network[1]))
