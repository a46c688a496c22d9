"""The endpoint a deploy prints reaches the environment it deployed to."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from tests.cli.cli_support import Platform, make_project


def test_printed_endpoint_carries_the_environment(platform: Platform, tmp_path: Path) -> None:
    root = make_project(tmp_path / "ep-env", "ep-env", platform.env, greeting="Dev")
    assert platform("ai", "agent", "deploy", "--path", str(root)).code == 0
    agent = root / "agent.py"
    agent.write_text(agent.read_text().replace('f"Dev ', 'f"Staged '))
    try:
        deployed = platform(
            "--json", "ai", "agent", "deploy", "--env", "staging", "--path", str(root)
        )
        assert deployed.code == 0, deployed.out
        endpoint = json.loads(deployed.stdout)["endpoint"]
        assert endpoint.endswith("/agents/ep-env/run?env=staging")
        token = (platform.emulator.home / "token").read_text().strip()
        request = urllib.request.Request(
            endpoint,
            data=json.dumps({"input": "x"}).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert json.load(answer)["output"].startswith("Staged ")
        shown = platform("ai", "agent", "deploy", "--env", "staging", "--path", str(root))
        assert "ep-env/run?env=staging" in shown.stdout
    finally:
        platform("ai", "agent", "delete", "ep-env", "--yes")
