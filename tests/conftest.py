"""Test-suite plumbing shared by every test directory.

- markers for what a test needs from the machine: ``docker`` (an engine answers), ``tmux``,
  ``debootstrap`` and ``prometheus`` (on PATH), ``root``. A test whose need is missing is
  skipped, except under ``CI=true`` (every need is required) or where ``NEXUS_REQUIRE``
  names the need (``NEXUS_REQUIRE=tmux,docker`` or ``all``; ``NEXUS_REQUIRE_DOCKER=1`` =
  ``docker``): there a missing need is a failure.
- the OS keyring is off for the whole run (``NEXUS_KEYRING=off`` and keyring's fail
  backend, inherited by every subprocess): no test writes to a developer's keyring.
- fixtures ``nexus_home`` (a private NEXUS_HOME, exported to subprocesses) and
  ``free_port`` (a TCP port free on 127.0.0.1).
- at the end, Docker containers and images labelled with a NEXUS_HOME under this run's
  temporary directory are leftovers: they are listed, removed, and fail the run.
- a run in which no test actually ran (all skipped or deselected) fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

_TRUE = {"1", "true", "yes", "on"}
_ran_tests = 0
_engine: tuple[bool, str] | None = None
_session_started = 0.0
LABEL_HOME = "dev.nexus.home"  # the emulator's label on its containers and images


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in _TRUE


def need_required(need: str) -> bool:
    """Whether a missing ``need`` (a marker name) must fail the tests that have it."""
    if _in_ci():
        return True
    if need == "docker" and os.environ.get("NEXUS_REQUIRE_DOCKER", "").lower() in _TRUE:
        return True
    listed = {n.strip() for n in os.environ.get("NEXUS_REQUIRE", "").lower().split(",")}
    return need in listed or "all" in listed


def docker_required() -> bool:
    """Whether a missing Docker engine must fail the tests that need it."""
    return need_required("docker")


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


def _on_path(tool: str, package: str) -> Callable[[], tuple[bool, str]]:
    def probe() -> tuple[bool, str]:
        if shutil.which(tool):
            return True, tool
        return False, f"{tool} is not on PATH (apt-get install {package})"

    return probe


def _root() -> tuple[bool, str]:
    return os.geteuid() == 0, "not running as root"


# marker -> (what it needs, its probe: (present, why not))
NEEDS: dict[str, tuple[str, Callable[[], tuple[bool, str]]]] = {
    "docker": ("a Docker engine", _engine_state),
    "tmux": ("tmux", _on_path("tmux", "tmux")),
    "debootstrap": ("debootstrap", _on_path("debootstrap", "debootstrap")),
    "root": ("root", _root),
    "prometheus": ("a Prometheus server binary", _on_path("prometheus", "prometheus")),
}


def pytest_configure(config: pytest.Config) -> None:
    for marker, (what, _) in NEEDS.items():
        config.addinivalue_line(
            "markers",
            f"{marker}: needs {what} (a skip is a failure under CI=true or NEXUS_REQUIRE)",
        )
    # Secrets keys go to $NEXUS_HOME/secret.key, never to the developer's OS keyring. The
    # keyring backend variable also reaches subprocesses whose environment drops NEXUS_*.
    os.environ["NEXUS_KEYRING"] = "off"
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


def pytest_sessionstart(session: pytest.Session) -> None:
    global _session_started
    _session_started = time.time()


def pytest_runtest_setup(item: pytest.Item) -> None:
    missing: list[tuple[str, str]] = []
    for marker, (_, probe) in NEEDS.items():
        if item.get_closest_marker(marker) is None:
            continue
        ok, why = probe()
        if not ok:
            missing.append((marker, why))
    if not missing:
        return
    required = [m for m, _ in missing if need_required(m)]
    whys = "; ".join(why for _, why in missing)
    if required:
        pytest.fail(
            f"this test needs {', '.join(required)}, required here (CI=true / NEXUS_REQUIRE): "
            f"{whys}. Provide it (.ci/run installs what the suite needs) or unset CI / "
            "NEXUS_REQUIRE.",
            pytrace=False,
        )
    pytest.skip(f"needs {', '.join(m for m, _ in missing)}: {whys}")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Under pytest-xdist the controller receives every worker's reports here too.
    global _ran_tests
    if report.when == "call":
        _ran_tests += 1


@pytest.hookimpl(trylast=True)  # after the session's fixtures are torn down
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
    if _engine_state()[0]:
        _check_engine_leftovers(session)


def _check_engine_leftovers(session: pytest.Session) -> None:
    """Containers and images this run's emulators left in the engine: list, remove, fail."""
    try:
        import docker
        from docker.errors import DockerException
    except ImportError:
        return
    factory: pytest.TempPathFactory = session.config._tmp_path_factory  # type: ignore[attr-defined]
    basetemp = str(factory.getbasetemp())
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")

    def say(msg: str, **markup: bool) -> None:
        if reporter is None:
            print(msg)
        else:
            reporter.write_line("")  # off the progress line
            reporter.write_line(msg, **markup)

    client = docker.from_env()
    try:  # the low-level API: lists without an inspect per item, which others may remove
        found = _remove_leftovers(client.api, basetemp)
        dangling = [
            str(image["Id"])[7:19]
            for image in client.api.images(filters={"dangling": True})
            if image.get("Created", 0) >= _session_started
        ]
    except DockerException as exc:
        say(f"note: could not check what the run left in the Docker engine: {exc}", yellow=True)
        return
    finally:
        client.close()
    if found:
        say(f"the run left in the Docker engine (now removed): {', '.join(found)}", red=True)
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if dangling and _in_ci():  # elsewhere: likely another run's
        say(
            f"note: {len(dangling)} dangling image(s) appeared in the engine during the run, "
            f"from this run or another: {' '.join(dangling[:10])}",
            yellow=True,
        )


def _remove_leftovers(api: Any, basetemp: str) -> list[str]:
    from docker.errors import APIError, NotFound

    def ours(item: dict[str, Any]) -> bool:
        return str((item.get("Labels") or {}).get(LABEL_HOME, "")).startswith(basetemp)

    found: list[str] = []
    for container in api.containers(all=True, filters={"label": LABEL_HOME}):
        if ours(container):
            found.append("container " + ",".join(container.get("Names") or [container["Id"]]))
            with contextlib.suppress(NotFound, APIError):  # removed meanwhile
                api.remove_container(container["Id"], force=True)
    for image in api.images(filters={"label": LABEL_HOME}):
        tags = [t for t in image.get("RepoTags") or [] if t != "<none>:<none>"]
        if not ours(image):
            continue  # another run's
        if not (tags and all(t.startswith("nexus-deps:") for t in tags)):
            # a dependency image is a cache its home keeps until reset: removed, not reported
            found.append("image " + (",".join(tags) or str(image["Id"])[7:19]))
        for ref in [*tags, image["Id"]]:
            with contextlib.suppress(NotFound, APIError):  # gone with its last tag, or in use
                api.remove_image(ref)
    return found


@pytest.fixture
def nexus_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh NEXUS_HOME, set in os.environ so subprocesses (nexus, the emulator) use it."""
    home = tmp_path / "nexus-home"
    home.mkdir()
    monkeypatch.setenv("NEXUS_HOME", str(home))
    monkeypatch.setenv("NEXUS_CONFIG_DIR", str(home / "config"))  # profiles too
    return home


@pytest.fixture
def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
