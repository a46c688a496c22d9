"""`nexus ai agent traces`: recent traces, and one as a tree of spans."""

from __future__ import annotations

import json

from tests.cli.cli_support import Platform


def test_traces_command(platform: Platform, deployed: str) -> None:
    assert platform("ai", "agent", "run", deployed, "traced").code == 0
    listed = json.loads(platform("--json", "ai", "agent", "traces", deployed, "-n", "1").stdout)
    assert len(listed) == 1
    assert listed[0]["name"] == f"run {deployed}"
    tree = platform("ai", "agent", "traces", deployed, "--trace", listed[0]["trace_id"])
    assert tree.code == 0, tree.out
    lines = tree.stdout.splitlines()
    assert lines[0] == f"trace {listed[0]['trace_id']}"
    assert lines[1].startswith(f"  run {deployed}")
    assert lines[2].startswith("    POST /invocations")
    missing = platform("ai", "agent", "traces", deployed, "--trace", "f" * 32)
    assert missing.code == 2, missing.out
    assert "no trace" in missing.stderr
