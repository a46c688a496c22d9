"""`nexus ai profile create|use|list|show` and how a profile chooses the provider."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.cli_support import base_env, free_port, nexus


def env_for(tmp_path: Path) -> dict[str, str]:
    return base_env(tmp_path / "home", free_port())


def test_create_use_list_show(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    none = nexus("ai", "profile", "show", env=env)
    assert none.code == 2, none.out
    assert "no profile in use" in none.stderr
    first = nexus(
        "ai", "profile", "create", "edge", "-p", "swarm", "-o", "registry=10.0.0.5:5000", env=env
    )
    assert first.code == 0, first.out
    assert "edge (in use): provider swarm" in first.stdout  # the first profile is used at once
    second = nexus(
        "ai", "profile", "create", "aws", "-p", "agentcore", "-o", "region=eu-west-1", env=env
    )
    assert second.code == 0, second.out
    listed = json.loads(nexus("--json", "ai", "profile", "list", env=env).stdout)
    assert [(p["name"], p["provider"], p["current"]) for p in listed] == [
        ("aws", "agentcore", False),
        ("edge", "swarm", True),
    ]
    assert nexus("ai", "profile", "use", "aws", env=env).code == 0
    shown = json.loads(nexus("--json", "ai", "profile", "show", env=env).stdout)
    assert shown["name"] == "aws"
    assert shown["options"] == {"region": "eu-west-1"}
    stored = json.loads((tmp_path / "home" / "config" / "profiles.json").read_text())
    assert stored["current"] == "aws"
    # the profile chooses the provider; --provider and NEXUS_PROVIDER still win
    providers = json.loads(nexus("--json", "ai", "provider", "list", env=env).stdout)
    assert [p["name"] for p in providers if p["selected"]] == ["agentcore"]
    flagged = json.loads(
        nexus("--json", "--provider", "local", "ai", "provider", "list", env=env).stdout
    )
    assert [p["name"] for p in flagged if p["selected"]] == ["local"]
    chosen = json.loads(
        nexus("--json", "--profile", "edge", "ai", "provider", "show", "swarm", env=env).stdout
    )
    assert chosen["options"][0]["value"] == "10.0.0.5:5000"


def test_bad_profiles(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    for args, message in (
        (["create", "Bad Name", "-p", "local"], "invalid profile name 'Bad Name'"),
        (["create", "x", "-p", "nope"], "unknown provider 'nope'"),
        (["create", "x", "-p", "swarm", "-o", "registry"], "--option 'registry' is not KEY=VALUE"),
        (["create", "x", "-p", "swarm", "-o", "colour=red"], "provider 'swarm' has no option"),
        (["use", "ghost"], "unknown profile 'ghost'"),
    ):
        result = nexus("ai", "profile", *args, env=env)
        assert result.code == 2, (args, result.out)
        assert message in result.stderr
    unknown = nexus("--profile", "ghost", "ai", "agent", "list", env=env)
    assert unknown.code == 2, unknown.out
    assert "unknown profile 'ghost' (profiles: none yet)" in unknown.stderr
