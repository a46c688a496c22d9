"""Fast reads of the Docker engine's API, without importing the docker SDK.

``GET /_ping`` over the engine's socket answers in about a millisecond;
importing the docker package alone costs far more (100-150 ms on a quiet
development machine), so readiness checks, runtime selection and the start's
look at the engine (``engine_json``) use these; builds and containers go
through the SDK.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any
from urllib.parse import urlparse

DEFAULT_SOCKET = "/var/run/docker.sock"
UNAVAILABLE_HINT = (
    "start the Docker engine (or check DOCKER_HOST), or use the process runtime: "
    "`nexus ai emulator start --runtime process` or NEXUS_RUNTIME=process"
)


def engine_address() -> str:
    return os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"


def _plain_socket(timeout: float) -> socket.socket | None:
    """A connection to an engine spoken to in plain HTTP (a unix socket or tcp without TLS);
    None for the others (TLS, ssh://), which only the docker SDK speaks to. OSError when
    the engine cannot be reached."""
    url = urlparse(engine_address())
    if url.scheme == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(url.path)
        except OSError:
            sock.close()
            raise
        return sock
    if url.scheme in ("tcp", "http", "https"):
        host, port = url.hostname or "127.0.0.1", url.port or 2375
        sock = socket.create_connection((host, port), timeout=timeout)
        if os.environ.get("DOCKER_TLS_VERIFY") or url.scheme == "https":
            sock.close()  # a TLS engine: a TCP connect is as far as a cheap probe goes
            return None
        return sock
    return None


def engine_json(path: str, timeout: float = 2.0) -> tuple[int, Any] | None:
    """``GET path`` on the engine's API: (status, decoded JSON body); None when the engine
    is not one spoken to in plain HTTP. OSError or ValueError when it does not answer so."""
    sock = _plain_socket(timeout)
    if sock is None:
        return None
    with sock:
        sock.sendall(b"GET %s HTTP/1.0\r\nHost: docker\r\n\r\n" % path.encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].split()
    if len(status) < 2 or not status[1].isdigit():
        raise ValueError(f"not an HTTP answer from the Docker engine: {head[:40]!r}")
    return int(status[1]), json.loads(body) if body.strip() else None


def ping_engine(timeout: float = 0.5) -> str | None:
    """None when the engine answers ``/_ping`` with 200, else why not (one line)."""
    address = engine_address()
    try:
        sock = _plain_socket(timeout)
    except OSError as exc:
        return f"cannot reach the Docker engine at {address}: {exc.strerror or exc}"
    if sock is None:
        return None  # TLS, ssh:// and others: leave the check to the docker SDK
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
