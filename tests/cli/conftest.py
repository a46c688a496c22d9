"""Fixtures: one real emulator (process runtime, tmp NEXUS_HOME, free port) per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from nexus_local.admin import reset
from nexus_local.lifecycle import Emulator, start

from tests.cli.cli_support import Platform, base_env, free_port, make_project


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """One emulator for the session, started and stopped through the lifecycle code."""
    home = tmp_path_factory.mktemp("nexus-home")
    em = Emulator(home=home.resolve(), port=free_port())
    notices: list[str] = []
    start(em, runtime="process", notice=notices.append)
    assert notices
    assert f"127.0.0.1:{em.port}" in notices[0]
    assert "process" in notices[0]
    try:
        yield Platform(em, base_env(em.home, em.port))
    finally:
        reset(em, notices.append)  # replicas of the process runtime outlive the emulator


@pytest.fixture
def offline(tmp_path: Path) -> Platform:
    """A fresh home and a port nothing listens on: for commands that must send nothing."""
    home = tmp_path / "home"
    port = free_port()
    return Platform(Emulator(home=home, port=port), base_env(home, port))


@pytest.fixture(scope="session")
def deployed(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An agent deployed to development, shared by the read-only tests."""
    root = make_project(tmp_path_factory.mktemp("proj") / "echo-agent", "echo-agent", platform.env)
    result = platform("ai", "agent", "deploy", "--env", "development", cwd=root)
    assert result.code == 0, result.out
    return "echo-agent"
