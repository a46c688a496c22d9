"""A fast liveness probe of the Docker engine, without importing the docker SDK.

``GET /_ping`` over the engine's socket answers in about a millisecond;
importing the docker package alone costs far more, so readiness checks and
runtime selection use this probe.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

DEFAULT_SOCKET = "/var/run/docker.sock"
UNAVAILABLE_HINT = (
    "start the Docker engine (or check DOCKER_HOST), or use the process runtime: "
    "`nexus ai emulator start --runtime process` or NEXUS_RUNTIME=process"
)


def engine_address() -> str:
    return os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"


def ping_engine(timeout: float = 0.5) -> str | None:
    """None when the engine answers ``/_ping`` with 200, else why not (one line)."""
    address = engine_address()
    url = urlparse(address)
    try:
        if url.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(url.path)
        elif url.scheme in ("tcp", "http", "https"):
            host, port = url.hostname or "127.0.0.1", url.port or 2375
            sock = socket.create_connection((host, port), timeout=timeout)
            if os.environ.get("DOCKER_TLS_VERIFY") or url.scheme == "https":
                sock.close()  # a TLS engine: a TCP connect is as far as a cheap probe goes
                return None
        else:
            return None  # ssh:// and others: leave the check to the docker SDK
    except OSError as exc:
        return f"cannot reach the Docker engine at {address}: {exc.strerror or exc}"
    with sock:
        try:
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            head = sock.recv(64)
        except OSError as exc:
            return f"the Docker engine at {address} did not answer: {exc.strerror or exc}"
    status = head.split(b"\r\n", 1)[0].split()
    if len(status) >= 2 and status[1] == b"200":
        return None
    return f"the Docker engine at {address} answered {head[:40]!r} to a ping"
