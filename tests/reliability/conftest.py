"""Reliability tests drive the same real emulator process as tests/emulator."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulator.conftest import (
    Emu,
    emu,  # noqa: F401 - the fixture, shared
    running_emulator,
)


@pytest.fixture
def quick(tmp_path: Path, free_port: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emu]:
    """A process-runtime emulator that checks health every 0.2 s and lets a call wait 1.5 s
    for a replica."""
    monkeypatch.setenv("NEXUS_HEALTH_INTERVAL", "0.2")
    monkeypatch.setenv("NEXUS_REPLICA_WAIT", "1.5")
    with running_emulator(tmp_path, free_port, "process") as e:
        yield e
