"""Whether the pytest fixtures' emulator can run as a container, decided from the engine's
facts alone (nexus_local.emulator_container.engine_socket).

The Linux engine's branch also runs live: the Docker test of tests/cli/test_pytest_plugin.py
runs a suite with the emulator in a container, and the last test here reads this machine's
engine. Docker Desktop, a rootless engine and a remote one cannot run here, so their
branches are checked with the facts they report (`docker info`'s OperatingSystem and
SecurityOptions, and DOCKER_HOST); the header a session prints for a Desktop engine is
checked against a stand-in engine answering those facts over a real socket.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from nexus_local import pytest_plugin
from nexus_local.emulator_container import NoContainer, engine_socket, socket_of

LINUX = ("Debian GNU/Linux 12 (bookworm)", ["name=seccomp,profile=default"])
DESKTOP_MAC = (
    "Docker Desktop",
    ["name=seccomp,profile=unconfined", "name=cgroupns"],
)
ROOTLESS = (
    "Ubuntu 24.04.1 LTS",
    ["name=apparmor", "name=seccomp,profile=builtin", "name=rootless", "name=cgroupns"],
)


def test_a_linux_engine_mounts_its_socket() -> None:
    assert engine_socket(*LINUX, None) == "/var/run/docker.sock"
    assert engine_socket(*LINUX, "unix:///run/docker.sock") == "/run/docker.sock"


@pytest.mark.parametrize(
    "docker_host",
    [
        None,  # the default socket, a link to Desktop's when that setting is on
        "unix:///Users/ann/.docker/run/docker.sock",  # macOS, Desktop's own socket
        "unix:///home/ann/.docker/desktop/docker.sock",  # Docker Desktop for Linux
        "npipe:////./pipe/docker_engine",  # Windows
    ],
)
def test_docker_desktop_runs_the_emulator_as_a_process(docker_host: str | None) -> None:
    with pytest.raises(NoContainer, match="Docker Desktop runs the engine in a VM"):
        engine_socket(*DESKTOP_MAC, docker_host)


def test_a_rootless_engine_runs_the_emulator_as_a_process() -> None:
    with pytest.raises(NoContainer, match="rootless"):
        engine_socket(*ROOTLESS, "unix:///run/user/1000/docker.sock")


@pytest.mark.parametrize("docker_host", ["tcp://10.0.0.5:2376", "ssh://ann@build-host"])
def test_an_engine_elsewhere_runs_the_emulator_as_a_process(docker_host: str) -> None:
    with pytest.raises(NoContainer, match="cannot mount this machine's files"):
        engine_socket(*LINUX, docker_host)


class _Facts(BaseHTTPRequestHandler):
    """The calls the docker SDK makes for the plugin (its API version, a ping, the info),
    answered as Docker Desktop 4.x on a Mac does."""

    version: dict[str, Any] = {
        "Platform": {"Name": "Docker Desktop 4.37.1 (178610)"},
        "Version": "27.4.0",
        "ApiVersion": "1.47",
        "MinAPIVersion": "1.24",
        "Os": "linux",
        "Arch": "arm64",
        "KernelVersion": "6.10.14-linuxkit",
    }

    info: dict[str, Any] = {
        "OperatingSystem": DESKTOP_MAC[0],
        "OSType": "linux",
        "KernelVersion": "6.10.14-linuxkit",
        "SecurityOptions": DESKTOP_MAC[1],
    }

    def do_GET(self) -> None:
        status, body, kind = 200, b"OK", "text/plain"
        if self.path.endswith(("/info", "/version")):
            answer = self.info if self.path.endswith("/info") else self.version
            body, kind = json.dumps(answer).encode(), "application/json"
        elif not self.path.endswith("/_ping"):
            status, body, kind = 404, b'{"message": "not here"}', "application/json"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Api-Version", "1.47")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class _UnixServer(HTTPServer):
    address_family = socket.AF_UNIX

    def server_bind(self) -> None:
        self.socket.bind(self.server_address)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, _ = self.socket.accept()
        return conn, ("local", 0)


@pytest.fixture
def desktop_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    path = str(tmp_path / "docker.sock")
    server = _UnixServer(path, _Facts)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    try:
        yield path
    finally:
        server.shutdown()
        server.server_close()


def test_the_session_says_why_its_emulator_is_a_process_on_docker_desktop(
    desktop_engine: str,
) -> None:
    """The docker SDK asks the engine (through DOCKER_HOST, as testcontainers would) and
    the fixtures' choice names Docker Desktop: `auto` falls back to a local process and
    `--nexus-emulator=container` fails the session with this reason."""
    why = pytest_plugin._container_unavailable()
    assert why is not None
    assert why.startswith("Docker Desktop runs the engine in a VM"), why


@pytest.mark.docker
def test_this_machines_engine_gives_its_socket() -> None:
    import docker

    client = docker.from_env()
    try:
        path = socket_of(client)
    finally:
        client.close()
    assert Path(path).is_socket()
