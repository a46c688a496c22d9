"""``network = "platform"`` on Docker: a replica that reaches the platform endpoint only.

A platform-only replica runs in the network namespace of a small holder
container (``sleep``, started from the base image) whose firewall is set
before the replica's own process exists, so no connection can slip out while
the rules are put in place:

- outgoing packets are refused (TCP reset, else ICMP) except on loopback, the
  replies of connections opened *to* the replica (the emulator's calls: the
  conntrack ``REPLY`` direction) and TCP to the platform listener's address
  and port;
- the engine's embedded DNS (127.0.0.11) is refused too, so names do not leak
  out through the engine's resolver;
- IPv6 gets the same rules without the platform exception.

The rules are written into the holder's namespace with ``nsenter`` and
``iptables-restore`` from the host, which needs root on the engine's own host
(a Linux engine); elsewhere (Docker Desktop, a remote engine, no root) a
platform-only replica is refused with the reason, never started open.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
import time
from typing import Any
from urllib.parse import urlsplit

from ._network import is_desktop
from .base import ReplicaFailed

LABEL_HOLDER = "dev.nexus.netns-holder"  # on a holder: the replica it holds the network for
LABEL_NETNS = "dev.nexus.netns"  # on a replica: its holder's container name
HOLDER_SUFFIX = "-net"
SEAL_TIMEOUT = 10.0  # seconds for nsenter + iptables-restore


class EgressUnavailable(ReplicaFailed):
    """Platform-only egress cannot be enforced here; the replica is not started."""


def platform_target(platform_url: str | None) -> tuple[str, int]:
    """The (IPv4 address, port) a platform-only replica may open, from its platform URL."""
    parts = urlsplit(platform_url or "")
    try:
        address = ipaddress.ip_address(parts.hostname or "")
    except ValueError:
        address = None
    if address is None or address.version != 4 or not parts.port:
        raise EgressUnavailable(
            f'network = "platform" needs the platform endpoint at an IPv4 address and port, '
            f"not {platform_url or 'none'} (Docker Desktop's host.docker.internal is not "
            "supported for platform-only replicas)"
        )
    return str(address), parts.port


def rules_v4(address: str, port: int) -> str:
    return (
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        "-A OUTPUT -d 127.0.0.11/32 -j REJECT --reject-with icmp-port-unreachable\n"
        "-A OUTPUT -o lo -j ACCEPT\n"
        "-A OUTPUT -m conntrack --ctdir REPLY -j ACCEPT\n"
        f"-A OUTPUT -d {address}/32 -p tcp -m tcp --dport {port} -j ACCEPT\n"
        "-A OUTPUT -p tcp -j REJECT --reject-with tcp-reset\n"
        "-A OUTPUT -j REJECT --reject-with icmp-admin-prohibited\n"
        "COMMIT\n"
    )


RULES_V6 = (
    "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
    "-A OUTPUT -o lo -j ACCEPT\n"
    "-A OUTPUT -m conntrack --ctdir REPLY -j ACCEPT\n"
    "-A OUTPUT -p tcp -j REJECT --reject-with tcp-reset\n"
    "-A OUTPUT -j REJECT --reject-with icmp6-adm-prohibited\n"
    "COMMIT\n"
)


def sealing_problem(engine_os: str) -> str | None:
    """Why this host cannot set a replica's firewall, or None when it can."""
    if is_desktop(engine_os):
        return "Docker Desktop runs containers in a VM the emulator cannot enter"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "setting a replica's firewall needs the emulator to run as root"
    for tool in ("nsenter", "iptables-restore"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed on the emulator's host"
    return None


def seal(pid: int, address: str, port: int) -> None:
    """Write the platform-only rules into the network namespace of process ``pid``."""
    if not pid or not os.path.exists(f"/proc/{pid}/ns/net"):
        raise EgressUnavailable(
            "the engine's containers are not visible from the emulator's host (a remote or "
            "virtualised engine): cannot set a platform-only replica's firewall"
        )
    _restore(pid, "iptables-restore", rules_v4(address, port))
    if _has_ipv6(pid):
        if shutil.which("ip6tables-restore") is None:
            raise EgressUnavailable("ip6tables-restore is not installed on the emulator's host")
        _restore(pid, "ip6tables-restore", RULES_V6)


def _has_ipv6(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/net/if_inet6", encoding="ascii") as fh:
            return any(line.strip() for line in fh)
    except OSError:
        return False


def _restore(pid: int, tool: str, rules: str) -> None:
    try:
        done = subprocess.run(
            ["nsenter", "-t", str(pid), "-n", tool],
            input=rules.encode(),
            capture_output=True,
            timeout=SEAL_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EgressUnavailable(f"could not set the replica's firewall: {exc}") from exc
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        raise EgressUnavailable(
            f"could not set the replica's firewall: {tool} exited {done.returncode}",
            detail[-5:],
        )


def start_holder(client: Any, name: str, options: dict[str, Any], image: str) -> Any:
    """The sealed network namespace for replica ``name``: a running holder container.

    ``options`` are the replica's own (network, published port, labels, hardening);
    the holder takes the network parts and leaves the replica to join it."""
    from docker.errors import APIError, ImageNotFound

    labels = {**options["labels"], LABEL_HOLDER: name}
    try:
        holder = client.containers.run(
            image,
            ["infinity"],
            entrypoint=["sleep"],
            name=name + HOLDER_SUFFIX,
            labels=labels,
            detach=True,
            init=True,
            ports=options.pop("ports"),
            network=options.pop("network"),
            read_only=True,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            pids_limit=8,
            mem_limit=32 * 2**20,
            user=options["user"],
            restart_policy={"Name": "no"},
        )
    except ImageNotFound as exc:
        raise EgressUnavailable(
            f"a platform-only replica needs the base image {image} to hold its network "
            "(run `nexus ai emulator base-image`)"
        ) from exc
    except APIError as exc:
        raise ReplicaFailed(f"could not start {name}{HOLDER_SUFFIX}: {exc}") from exc
    deadline = time.monotonic() + 5
    while not holder.attrs.get("State", {}).get("Pid"):
        if time.monotonic() > deadline:
            holder.remove(force=True)
            raise ReplicaFailed(f"{name}{HOLDER_SUFFIX} did not start")
        time.sleep(0.02)
        holder.reload()
    options["network_mode"] = f"container:{holder.id}"
    options["labels"][LABEL_NETNS] = holder.name
    return holder


def remove_holder(client: Any, name: str | None) -> None:
    from docker.errors import NotFound

    if not name:
        return
    try:
        client.containers.get(name).remove(force=True)
    except NotFound:
        return
