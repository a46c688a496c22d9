"""Global flags hold for one invocation: commands run in-process one after another.

The tests and the dashboard call the Typer app in their own process, so nothing an
invocation sets (``--json``, ``--debug``) may leak into the next one.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from nexus_cli.main import app
from tests.cli.cli_support import Platform


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_json_does_not_leak_into_the_next_invocation(
    runner: CliRunner, platform: Platform, deployed: str
) -> None:
    first = runner.invoke(app, ["--json", "ai", "agent", "list"], env=platform.env)
    assert first.exit_code == 0, first.output
    assert deployed in [agent["name"] for agent in json.loads(first.stdout)]

    second = runner.invoke(app, ["ai", "agent", "list"], env=platform.env)
    assert second.exit_code == 0, second.output
    assert second.stdout.startswith("NAME"), second.stdout
    assert deployed in second.stdout

    # the command's own --json is per invocation too
    third = runner.invoke(app, ["ai", "agent", "list", "--json"], env=platform.env)
    assert json.loads(third.stdout)
    fourth = runner.invoke(app, ["ai", "agent", "list"], env=platform.env)
    assert fourth.stdout.startswith("NAME"), fourth.stdout


def test_errors_follow_the_flags_of_their_own_invocation(
    runner: CliRunner, offline: Platform
) -> None:
    as_json = runner.invoke(app, ["--json", "ai", "agent", "status", "Bad_Name"], env=offline.env)
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["error"]["code"] == "usage"

    human = runner.invoke(app, ["ai", "agent", "status", "Bad_Name"], env=offline.env)
    assert human.exit_code == 2
    assert human.stdout == ""
    assert human.stderr.startswith("Error: invalid agent name 'Bad_Name'")


def test_debug_does_not_leak_into_the_next_invocation(runner: CliRunner, offline: Platform) -> None:
    debug = runner.invoke(app, ["--debug", "ai", "agent", "status", "Bad_Name"], env=offline.env)
    assert debug.exit_code == 2
    assert "Traceback" in debug.stderr

    plain = runner.invoke(app, ["ai", "agent", "status", "Bad_Name"], env=offline.env)
    assert plain.exit_code == 2
    assert "Traceback" not in plain.stderr
