"""`nexus ai agent logs`: the replicas' records, filtered by level and time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli.cli_support import Platform, make_project


def test_logs_command(platform: Platform, tmp_path: Path) -> None:
    root = make_project(tmp_path / "noisy", "noisy", platform.env)
    (root / "agent.py").write_text(
        "from nexus.ai.agents import Agent\n\n\nclass Noisy(Agent):\n"
        "    async def process(self, input: str):\n"
        "        if input == 'fail':\n            raise ValueError('no way')\n"
        "        return input\n"
    )
    assert platform("ai", "agent", "deploy", cwd=root).code == 0
    assert platform("ai", "agent", "run", "noisy", "fine").code == 0
    failed = platform("ai", "agent", "run", "noisy", "fail")
    assert failed.code == 1, failed.out
    assert "nexus ai agent logs noisy --level error" in failed.stderr
    shown = platform("ai", "agent", "logs", "noisy", "--level", "error")
    assert shown.code == 0, shown.out
    assert "ERROR" in shown.stdout
    assert "ValueError: no way" in shown.stdout
    assert "INFO" not in shown.stdout
    as_json = platform("--json", "ai", "agent", "logs", "noisy", "-n", "2").stdout.splitlines()
    assert len(as_json) == 2
    assert all(json.loads(x)["replica"] for x in as_json)
    bad = platform("ai", "agent", "logs", "noisy", "--since", "yesterday")
    assert bad.code == 2, bad.out
    assert "not a duration" in bad.stderr


PYLOG = """\
import logging

from nexus.ai.agents import Agent

log = logging.getLogger("pylog")


class Pylog(Agent):
    async def process(self, input: str):
        log.debug("debug %s", input)
        log.error("error %s", input)
        for i in range(150):
            log.info("filler %s %d", input, i)
        return input
"""


def test_python_levels_and_filters(platform: Platform, tmp_path: Path) -> None:
    root = make_project(tmp_path / "pylog", "pylog", platform.env)
    (root / "agent.py").write_text(PYLOG)
    toml = (root / "nexus.toml").read_text()
    toml = toml.replace('entrypoint = "agent:', 'log_level = "debug"\nentrypoint = "agent:')
    (root / "nexus.toml").write_text(toml)
    deployed = platform("ai", "agent", "deploy", "--label", "2.0.0", cwd=root)
    assert deployed.code == 0, deployed.out
    assert platform("ai", "agent", "run", "pylog", "one").code == 0
    assert platform("ai", "agent", "run", "pylog", "two").code == 0

    # the seed's command: both errors, though 150 info lines came after each
    shown = platform("ai", "agent", "logs", "pylog", "--level", "error", "--since", "1h")
    assert shown.code == 0, shown.out
    assert "error one" in shown.stdout
    assert "error two" in shown.stdout
    assert "INFO" not in shown.stdout
    assert "\x1b[" not in shown.stdout
    assert "ERROR   pylog: error one" in shown.stdout

    def json_lines(*args: str) -> list[dict[str, Any]]:
        result = platform("ai", "agent", "logs", "pylog", "--json", *args)
        assert result.code == 0, result.out
        return [json.loads(x) for x in result.stdout.splitlines()]

    debug = json_lines("--grep", "DEBUG ONE")  # log_level = "debug" in nexus.toml
    assert [(r["level"], r["msg"]) for r in debug] == [("debug", "debug one")]
    request = debug[0]["request_id"]
    mine = json_lines("--request", request, "-n", "1000")
    assert len(mine) >= 152
    assert {r["request_id"] for r in mine} == {request}
    assert "error two" not in {r["msg"] for r in mine}
    replica = debug[0]["replica"]
    assert json_lines("--replica", replica, "-n", "1")[0]["replica"] == replica
    assert json_lines("--replica", "zzz") == []
    assert {r["version"] for r in json_lines("--version", "2.0.0", "-n", "3")} == {"2.0.0"}
    missing = platform("ai", "agent", "logs", "pylog", "--version", "9.9.9")
    assert missing.code == 2
    assert "no version '9.9.9'" in missing.stderr
