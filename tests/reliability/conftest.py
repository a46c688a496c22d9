"""Reliability tests drive the same real emulator process as tests/emulator."""

from tests.emulator.conftest import emu  # noqa: F401 - the fixture, shared
