"""`nexus ai agent run --stream`: chunks printed as they come; JSON lines under --json."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.cli_support import Platform, make_project

STORY = """
from nexus.ai.agents import Agent


class Story(Agent):
    async def process(self, input: str):
        for word in input.split():
            yield word + " "
"""


def test_run_stream_prints_chunks_and_json_lines(platform: Platform, tmp_path: Path) -> None:
    root = make_project(tmp_path / "story", "story", platform.env)
    (root / "agent.py").write_text(STORY)
    assert platform("ai", "agent", "deploy", cwd=root).code == 0
    streamed = platform("ai", "agent", "run", "story", "once upon a time", "--stream")
    assert streamed.code == 0, streamed.out
    assert streamed.stdout == "once upon a time \n"
    lines = platform("--json", "ai", "agent", "run", "story", "a b", "--stream").stdout
    assert [json.loads(x) for x in lines.splitlines()] == [{"text": "a "}, {"text": "b "}]
    whole = platform("ai", "agent", "run", "story", "a b")
    assert whole.stdout == "a b \n"
    missing = platform("ai", "agent", "run", "stroy", "x", "--stream")
    assert missing.code == 2, missing.out
    assert "did you mean 'story'" in missing.stderr
