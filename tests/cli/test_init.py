"""`nexus ai agent init`: the scaffold is a valid project; existing directories are kept."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from nexus.ai.project import load_project
from tests.cli.cli_support import Platform

SCAFFOLD = [".gitignore", "README.md", "agent.py", "nexus.toml"]


def test_init_scaffolds_a_valid_project(offline: Platform, tmp_path: Path) -> None:
    result = offline("ai", "agent", "init", "my-agent", cwd=tmp_path)
    assert result.code == 0, result.out
    root = tmp_path / "my-agent"
    assert sorted(p.name for p in root.iterdir()) == SCAFFOLD
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


FRAMEWORKS = ["openai-agents", "crewai", "adk", "claude", "agentcore"]


@pytest.mark.parametrize("template", FRAMEWORKS)
def test_framework_templates_are_written_and_parse(
    offline: Platform, tmp_path: Path, template: str
) -> None:
    """Their frameworks are not installed here: the files are checked, not run."""
    root = tmp_path / template
    result = offline("ai", "agent", "init", "my-agent", "-t", template, "--path", str(root))
    assert result.code == 0, result.out
    assert sorted(p.name for p in root.iterdir()) == SCAFFOLD
    project = load_project(root)
    assert project.dependencies  # the framework is installed at deploy
    tree = ast.parse((root / "agent.py").read_text())
    module, _, attr = project.entrypoint.partition(":")
    assert module == "agent"
    defined = {n.name for n in tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef)}
    assert attr in defined
    assert template in (root / "README.md").read_text()


def test_unknown_template_lists_them(offline: Platform, tmp_path: Path) -> None:
    result = offline("ai", "agent", "init", "my-agent", "--template", "nope", cwd=tmp_path)
    assert result.code == 2, result.out
    assert "no template 'nope'" in result.stderr
    for name in ["plain", "langgraph", *FRAMEWORKS]:
        assert name in result.stderr
    assert not (tmp_path / "my-agent").exists()


@pytest.mark.parametrize(
    ("template", "expected"), [("plain", "you said: two words"), ("langgraph", "heard 2 words")]
)
def test_template_deploys_and_answers(
    platform: Platform, tmp_path: Path, template: str, expected: str
) -> None:
    name = f"tpl-{template}"
    root = tmp_path / name
    made = platform("ai", "agent", "init", name, "-t", template, "--path", str(root))
    assert made.code == 0, made.out
    deployed = platform("ai", "agent", "deploy", "--path", str(root))
    assert deployed.code == 0, deployed.out
    try:
        ran = platform("ai", "agent", "run", name, "two words")
        assert ran.code == 0, ran.out
        assert expected in ran.stdout
    finally:
        platform("ai", "agent", "delete", name, "--yes")
