"""A replica's network namespace held by a small container whose firewall is set first.

Two kinds of replica run in the network namespace of a holder container
(started from the base image), whose firewall is set before the replica's own
process exists, so nothing slips through while the rules are put in place.

A prebuilt image (``deploy --image``, not built on the SDK) does not check the
replica secret itself: inbound TCP to its port 8080 is redirected to the
holder's proxy (``guard_proxy.py``), which lets through only connections whose
first request carries ``X-Nexus-Replica-Secret``; other inbound TCP is reset.

``network = "platform"`` (the platform endpoint only):

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
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ._network import is_desktop
from .base import ReplicaFailed

GUARD_PORT = 8081  # the holder's secret-checking proxy (guard_proxy.py)
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


Target = tuple[str, int]  # the platform listener a platform-only replica may open

# inbound, for a guarded replica: its own loopback, replies, and the proxy only
_GUARD_INPUT = (
    "-A INPUT -i lo -j ACCEPT\n"
    "-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n"
    f"-A INPUT -p tcp -m tcp --dport {GUARD_PORT} -j ACCEPT\n"
    "-A INPUT -p tcp -j REJECT --reject-with tcp-reset\n"
)
_EGRESS_OUTPUT = (
    "-A OUTPUT -o lo -j ACCEPT\n"
    "-A OUTPUT -m conntrack --ctdir REPLY -j ACCEPT\n"
    "{allow}"
    "-A OUTPUT -p tcp -j REJECT --reject-with tcp-reset\n"
    "-A OUTPUT -j REJECT --reject-with {icmp}\n"
)


def rules_v4(target: Target | None, guard: bool = False) -> str:
    """iptables-restore input (applied with --noflush: the engine's DNS rules stay)."""
    text = "*filter\n" + (_GUARD_INPUT if guard else "")
    if target is not None:
        address, port = target
        text += "-A OUTPUT -d 127.0.0.11/32 -j REJECT --reject-with icmp-port-unreachable\n"
        text += _EGRESS_OUTPUT.format(
            allow=f"-A OUTPUT -d {address}/32 -p tcp -m tcp --dport {port} -j ACCEPT\n",
            icmp="icmp-admin-prohibited",
        )
    text += "COMMIT\n"
    if guard:  # outside callers of the agent's port meet the proxy
        text += (
            "*nat\n"
            f"-A PREROUTING -p tcp -m tcp --dport 8080 -j REDIRECT --to-ports {GUARD_PORT}\n"
            "COMMIT\n"
        )
    return text


def rules_v6(target: Target | None, guard: bool = False) -> str:
    text = "*filter\n" + (_GUARD_INPUT if guard else "")
    if target is not None:
        text += _EGRESS_OUTPUT.format(allow="", icmp="icmp6-adm-prohibited")
    return text + "COMMIT\n"


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


def seal(pid: int, target: Target | None, guard: bool = False) -> None:
    """Write the rules into the network namespace of process ``pid``: platform-only egress
    to ``target`` (when given), the proxy in front of the agent's port (``guard``)."""
    if not pid or not os.path.exists(f"/proc/{pid}/ns/net"):
        raise EgressUnavailable(
            "the engine's containers are not visible from the emulator's host (a remote or "
            "virtualised engine): cannot set a platform-only replica's firewall"
        )
    _restore(pid, "iptables-restore", rules_v4(target, guard))
    if _has_ipv6(pid):
        if shutil.which("ip6tables-restore") is None:
            raise EgressUnavailable("ip6tables-restore is not installed on the emulator's host")
        _restore(pid, "ip6tables-restore", rules_v6(target, guard))


def _has_ipv6(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/net/if_inet6", encoding="ascii") as fh:
            return any(line.strip() for line in fh)
    except OSError:
        return False


def _restore(pid: int, tool: str, rules: str) -> None:
    try:
        done = subprocess.run(
            ["nsenter", "-t", str(pid), "-n", tool, "--noflush"],
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


def start_holder(
    client: Any, name: str, options: dict[str, Any], image: str, guard: str | None = None
) -> Any:
    """The network namespace for replica ``name``: a running holder container.

    ``options`` are the replica's own (network, published port, labels, hardening);
    the holder takes the network parts and leaves the replica to join it. With
    ``guard`` (the platform file's path in the replica) it runs the secret-checking
    proxy, reading the secret from the same read-only mount, else ``sleep``."""
    from docker.errors import APIError, ImageNotFound

    from . import guard_proxy

    labels = {**options["labels"], LABEL_HOLDER: name}
    if guard:
        code = Path(guard_proxy.__file__).read_text(encoding="utf-8")
        entrypoint, command = ["python3"], ["-c", code, guard]
    else:
        entrypoint, command = ["sleep"], ["infinity"]
    try:
        holder = client.containers.run(
            image,
            command,
            entrypoint=entrypoint,
            volumes=options.get("volumes") if guard else None,
            name=name + HOLDER_SUFFIX,
            labels=labels,
            detach=True,
            init=True,
            ports=options["ports"],
            network=options["network"],
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
            f"the replica needs the base image {image} to hold its network "
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
    del options["ports"], options["network"]  # the holder's now
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
