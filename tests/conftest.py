"""Test-suite plumbing shared by every test directory.

- ``@pytest.mark.docker``: skipped when no Docker engine answers, except under
  ``NEXUS_REQUIRE_DOCKER=1`` or ``CI=true``, where a missing engine is a failure.
- fixtures ``nexus_home`` (a private NEXUS_HOME, exported to subprocesses) and
  ``free_port`` (a TCP port free on 127.0.0.1).
- a run in which no test actually ran (all skipped or deselected) fails.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest

_TRUE = {"1", "true", "yes", "on"}
_ran_tests = 0
_engine: tuple[bool, str] | None = None


def docker_required() -> bool:
    """Whether a missing Docker engine must fail the tests that need it."""
    return (
        os.environ.get("NEXUS_REQUIRE_DOCKER", "").lower() in _TRUE
        or os.environ.get("CI", "").lower() in _TRUE
    )


def ping_docker(timeout: float = 2.0) -> tuple[bool, str]:
    """``GET /_ping`` on the engine's socket: (answered, where or why not)."""
    host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    url = urlparse(host)
    try:
        if url.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(url.path)
        elif url.scheme in ("tcp", "http"):
            address = (url.hostname or "127.0.0.1", url.port or 2375)
            sock = socket.create_connection(address, timeout)
        else:
            return False, f"DOCKER_HOST={host}: unsupported scheme (use unix:// or tcp://)"
        with sock:
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            reply = sock.recv(64)
    except OSError as exc:
        return False, f"no Docker engine answers at {host} ({exc.strerror or exc})"
    status = reply.split(b"\r\n", 1)[0].decode("latin-1")
    if " 200 " not in status + " ":
        return False, f"the Docker engine at {host} answered {status!r} to /_ping"
    return True, host


def _engine_state() -> tuple[bool, str]:
    global _engine
    if _engine is None:
        _engine = ping_docker()
    return _engine


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("docker") is None:
        return
    ok, why = _engine_state()
    if ok:
        return
    if docker_required():
        pytest.fail(
            f"this test needs Docker and Docker is required here (CI / NEXUS_REQUIRE_DOCKER=1): "
            f"{why}. Start the engine (e.g. `dockerd &`) or unset NEXUS_REQUIRE_DOCKER.",
            pytrace=False,
        )
    pytest.skip(f"needs Docker: {why}")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Under pytest-xdist the controller receives every worker's reports here too.
    global _ran_tests
    if report.when == "call":
        _ran_tests += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workerinput") or config.option.collectonly:
        return  # an xdist worker, or nothing was meant to run
    if exitstatus == pytest.ExitCode.OK and _ran_tests == 0:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        msg = "no test ran (every test was skipped or deselected): failing the run"
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(msg, red=True, bold=True)
        session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED


@pytest.fixture
def nexus_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh NEXUS_HOME, set in os.environ so subprocesses (nexus, the emulator) use it."""
    home = tmp_path / "nexus-home"
    home.mkdir()
    monkeypatch.setenv("NEXUS_HOME", str(home))
    return home


@pytest.fixture
def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
