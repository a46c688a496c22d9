"""`nexus ai agent metrics`: a table per environment, or JSON."""

from __future__ import annotations

import json

from tests.cli.cli_support import Platform


def test_metrics_command(platform: Platform, deployed: str) -> None:
    before = json.loads(platform("--json", "ai", "agent", "metrics", deployed).stdout)
    start = before["environments"]["development"]["requests"]
    for _ in range(3):
        assert platform("ai", "agent", "run", deployed, "hi").code == 0
    after = json.loads(platform("--json", "ai", "agent", "metrics", deployed).stdout)
    dev = after["environments"]["development"]
    assert dev["requests"] == start + 3
    assert dev["latency_p50_ms"] > 0
    table = platform("ai", "agent", "metrics", deployed)
    assert table.code == 0, table.out
    assert "REQUESTS" in table.stdout
    assert "development" in table.stdout
    missing = platform("ai", "agent", "metrics", "no-such-agent")
    assert missing.code == 2, missing.out
    assert "no agent named 'no-such-agent'" in missing.stderr
