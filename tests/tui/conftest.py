"""A real emulator (process runtime) on a free port, reached through the local provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from nexus_local.admin import reset
from nexus_local.lifecycle import Emulator, start
from nexus_local.provider import LocalProvider


@pytest.fixture
def provider(
    tmp_path: Path, free_port: int, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LocalProvider]:
    monkeypatch.setenv("NEXUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NEXUS_EMULATOR_PORT", str(free_port))
    em = Emulator(home=(tmp_path / "home").resolve(), port=free_port)
    start(em, runtime="process")
    try:
        yield LocalProvider()
    finally:
        reset(em, lambda _msg: None)  # replicas of the process runtime outlive the emulator
