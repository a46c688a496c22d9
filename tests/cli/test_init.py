"""`nexus ai agent init`: the scaffold is a valid project; existing directories are kept."""

from __future__ import annotations

import json
from pathlib import Path

from nexus.ai.spec import load_project
from tests.cli.cli_support import Platform


def test_init_scaffolds_a_valid_project(offline: Platform, tmp_path: Path) -> None:
    result = offline("ai", "agent", "init", "my-agent", cwd=tmp_path)
    assert result.code == 0, result.out
    root = tmp_path / "my-agent"
    assert sorted(p.name for p in root.iterdir()) == [
        ".gitignore",
        "README.md",
        "agent.py",
        "nexus.toml",
    ]
    project = load_project(root)
    assert (project.name, project.entrypoint, project.version) == (
        "my-agent",
        "agent:MyAgent",
        "0.1.0",
    )
    assert project.dependencies == []
    assert set(project.environments) == {"development", "staging", "production"}
    agent = (root / "agent.py").read_text()
    assert "class MyAgent(Agent):" in agent
    assert "async def process(self, input: str):" in agent
    assert "self.context" in agent
    assert "cd my-agent && nexus ai agent deploy my-agent --env development" in result.stdout


def test_init_refuses_a_non_empty_directory(offline: Platform, tmp_path: Path) -> None:
    (tmp_path / "my-agent").mkdir()
    (tmp_path / "my-agent" / "keep.txt").write_text("mine")
    result = offline("ai", "agent", "init", "my-agent", cwd=tmp_path)
    assert result.code == 2, result.out
    assert "my-agent already exists and is not empty" in result.stderr
    assert (tmp_path / "my-agent" / "keep.txt").read_text() == "mine"


def test_init_into_path_with_json(offline: Platform, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    result = offline("ai", "agent", "init", "other-agent", "--path", str(target), "--json")
    assert result.code == 0, result.out
    data = json.loads(result.stdout)
    assert data["path"] == str(target.resolve())
    assert load_project(target).entrypoint == "agent:OtherAgent"


def test_init_invalid_name(offline: Platform, tmp_path: Path) -> None:
    result = offline("ai", "agent", "init", "My Agent", cwd=tmp_path)
    assert result.code == 2, result.out
    assert "invalid agent name 'My Agent'" in result.stderr
    assert not any(tmp_path.iterdir())
