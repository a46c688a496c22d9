"""A bad NEXUS_* value is a usage error that names the variable, before anything is sent."""

from __future__ import annotations

import pytest

from tests.cli.cli_support import Platform


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("NEXUS_EMULATOR_PORT", "http", "NEXUS_EMULATOR_PORT='http' is not a port number"),
        ("NEXUS_REPLICA_TIMEOUT", "soon", "NEXUS_REPLICA_TIMEOUT='soon' is not a number"),
        (
            "NEXUS_REPLICA_ROUTE",
            "bridge",
            "NEXUS_REPLICA_ROUTE='bridge' is not one of auto, published",
        ),
    ],
)
def test_a_bad_variable_is_named(
    offline: Platform, variable: str, value: str, message: str
) -> None:
    env = {**offline.env, variable: value}
    result = Platform(offline.emulator, env)("ai", "agent", "list")
    assert result.code == 2, result.out
    assert result.stderr.startswith(f"Error: {message}"), result.stderr
    assert "Hint: " in result.stderr
    assert not (offline.emulator.home / "emulator.json").exists()
