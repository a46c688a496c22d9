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

def test_fixtures(nexus_home, free_port):
    assert os.environ["NEXUS_HOME"] == str(nexus_home) and nexus_home.is_dir()
    assert 0 < free_port < 65536
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
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "NEXUS_REQUIRE_DOCKER")}
    clean.pop("PYTEST_ADDOPTS", None)
    clean.pop("PYTEST_XDIST_WORKER", None)
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}


def test_docker_test_is_skipped_without_an_engine(tmp_path: Path) -> None:
    proc = run_suite(tmp_path, **NO_ENGINE)
    assert proc.returncode == 0, proc.stdout
    assert "1 passed, 1 skipped" in proc.stdout
    assert "needs Docker: no Docker engine answers at unix:///nonexistent" in proc.stdout


@pytest.mark.parametrize("flag", [{"NEXUS_REQUIRE_DOCKER": "1"}, {"CI": "true"}])
def test_docker_test_fails_without_an_engine_when_required(
    tmp_path: Path, flag: dict[str, str]
) -> None:
    proc = run_suite(tmp_path, **NO_ENGINE, **flag)
    assert proc.returncode == 1, proc.stdout
    assert "Docker is required here" in proc.stdout
    assert "1 passed, 1 error" in proc.stdout


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
