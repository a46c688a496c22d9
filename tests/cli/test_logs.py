"""`nexus ai agent logs`: the replicas' records, filtered by level and time."""

from __future__ import annotations

import json
from pathlib import Path

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
