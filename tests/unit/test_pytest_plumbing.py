"""The suite's own rules (tests/conftest.py), checked by running pytest on a small suite."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"

SUITE = """
import os
import pytest

@pytest.mark.docker
def test_needs_docker():
    pass

@pytest.mark.tmux
def test_needs_tmux():
    pass

def test_fixtures(nexus_home, free_port):
    assert os.environ["NEXUS_HOME"] == str(nexus_home)
    assert nexus_home.is_dir()
    assert 0 < free_port < 65536

@pytest.mark.docker
def test_leaves_an_image(tmp_path):
    import io
    import uuid

    import docker

    dockerfile = f"FROM scratch\\nLABEL dev.nexus.home={tmp_path}/home\\n"
    tag = "nexus-test-leak:" + uuid.uuid4().hex[:8]
    docker.from_env().images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True)

def test_no_os_keyring():
    import keyring
    from keyring.backends import fail

    assert os.environ["NEXUS_KEYRING"] == "off"
    assert isinstance(keyring.get_keyring(), fail.Keyring)
"""

INI = """[pytest]
addopts = --strict-markers -p no:cacheprovider
markers =
    docker: needs a Docker engine
"""


def run_suite(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    shutil.copy(CONFTEST, tmp_path / "conftest.py")
    (tmp_path / "test_suite.py").write_text(SUITE)
    (tmp_path / "pytest.ini").write_text(INI)
    drop = (
        "CI",
        "NEXUS_REQUIRE",
        "NEXUS_REQUIRE_DOCKER",
        "NEXUS_KEYRING",
        "PYTHON_KEYRING_BACKEND",
    )
    clean = {k: v for k, v in os.environ.items() if k not in drop}
    clean.pop("PYTEST_ADDOPTS", None)
    clean.pop("PYTEST_XDIST_WORKER", None)
    clean.update(env)
    # its own --basetemp: a nested run must not prune the numbered temp dirs of other runs
    basetemp = tmp_path / "basetemp"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", f"--basetemp={basetemp}", *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}


def no_tmux(tmp_path: Path) -> dict[str, str]:
    """A PATH on which tmux is not found."""
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    return {"PATH": str(empty)}


def test_a_test_whose_needs_are_missing_is_skipped(tmp_path: Path) -> None:
    proc = run_suite(tmp_path, **NO_ENGINE, **no_tmux(tmp_path))
    assert proc.returncode == 0, proc.stdout
    assert "2 passed, 3 skipped" in proc.stdout
    assert "needs docker: no Docker engine answers at unix:///nonexistent" in proc.stdout
    assert "needs tmux: tmux is not on PATH" in proc.stdout


@pytest.mark.parametrize(
    "flag", [{"NEXUS_REQUIRE_DOCKER": "1"}, {"NEXUS_REQUIRE": "docker"}, {"CI": "true"}]
)
def test_docker_test_fails_without_an_engine_when_required(
    tmp_path: Path, flag: dict[str, str]
) -> None:
    proc = run_suite(tmp_path, "-k", "needs_docker or fixtures", **NO_ENGINE, **flag)
    assert proc.returncode == 1, proc.stdout
    assert "this test needs docker, required here" in proc.stdout
    assert "1 passed, 3 deselected, 1 error" in proc.stdout


@pytest.mark.parametrize("flag", [{"NEXUS_REQUIRE": "tmux,docker"}, {"NEXUS_REQUIRE": "all"}])
def test_tmux_test_fails_without_tmux_when_required(tmp_path: Path, flag: dict[str, str]) -> None:
    proc = run_suite(tmp_path, "-k", "tmux", **no_tmux(tmp_path), **flag)
    assert proc.returncode == 1, proc.stdout
    assert "this test needs tmux, required here" in proc.stdout
    assert "tmux is not on PATH (apt-get install tmux)" in proc.stdout


def test_the_os_keyring_is_off_for_the_run_and_its_subprocesses(tmp_path: Path) -> None:
    proc = run_suite(tmp_path, "-k", "keyring")
    assert proc.returncode == 0, proc.stdout
    assert "1 passed" in proc.stdout


def test_a_run_where_every_test_is_skipped_fails(tmp_path: Path) -> None:
    proc = run_suite(tmp_path, "-k", "needs_docker", **NO_ENGINE)
    assert proc.returncode == 5, proc.stdout
    assert "no test ran" in proc.stdout


def test_a_run_with_no_test_selected_fails(tmp_path: Path) -> None:
    proc = run_suite(tmp_path, "-k", "no_such_test")
    assert proc.returncode == 5, proc.stdout


@pytest.mark.docker
def test_docker_test_runs_when_the_engine_answers(tmp_path: Path) -> None:
    proc = run_suite(tmp_path, "-k", "needs_docker", NEXUS_REQUIRE_DOCKER="1")
    assert proc.returncode == 0, proc.stdout
    assert "1 passed" in proc.stdout


@pytest.mark.docker
def test_what_a_run_leaves_in_the_engine_fails_it_and_is_removed(tmp_path: Path) -> None:
    import docker

    proc = run_suite(tmp_path, "-k", "leaves_an_image")
    assert proc.returncode == 1, proc.stdout
    assert "1 passed" in proc.stdout
    assert "the run left in the Docker engine (now removed): image nexus-test-leak:" in proc.stdout
    client = docker.from_env()
    try:
        left = client.images.list(filters={"label": "dev.nexus.home"})
        assert [i.tags for i in left if str(tmp_path) in i.labels["dev.nexus.home"]] == []
    finally:
        client.close()
