"""Shell completion: the committed bash script completes commands through `nexus` itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def complete(words: str, cword: int, env: dict[str, str] | None = None) -> list[str]:
    script = (
        f"source {ROOT / 'completions' / 'nexus.bash'}\n"
        f"COMP_WORDS=({words}); COMP_CWORD={cword}\n"
        "_nexus_completion nexus\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    base = os.environ if env is None else env
    env = {**base, "PATH": f"{Path(sys.executable).parent}:{base['PATH']}"}
    done = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_bash_completes_commands_and_options() -> None:
    assert complete("nexus ai ag", 2) == ["agent"]
    assert "scale" in complete("nexus ai agent s", 3)
    assert "secret" in complete("nexus ai agent s", 3)
    assert complete("nexus ai agent logs x --fo", 5) == ["--follow"]
