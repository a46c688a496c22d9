"""docs/reference.md is generated from the CLI and must match it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_command_reference_is_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_reference_lists_the_agent_commands() -> None:
    text = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    for command in ("deploy", "run", "status"):
        assert f"## `nexus ai agent {command}`" in text
        assert f"Usage: nexus ai agent {command} " in text
