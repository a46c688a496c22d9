"""The seed's scale and rollback commands, as written, after deploying to two environments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli.cli_support import Platform, make_project


def _status(platform: Platform, env: str) -> dict[str, Any]:
    result = platform("--json", "ai", "agent", "status", "my-agent", "--env", env)
    assert result.code == 0, result.out
    doc: dict[str, Any] = json.loads(result.stdout)["environments"][0]
    return doc


def _set_version(root: Path, version: str) -> None:
    toml = (root / "nexus.toml").read_text()
    (root / "nexus.toml").write_text(
        "\n".join(
            f'version = "{version}"' if line.startswith("version =") else line
            for line in toml.splitlines()
        )
        + "\n"
    )


def test_seed_scale_and_rollback_without_env(platform: Platform, tmp_path: Path) -> None:
    root = make_project(tmp_path / "my-agent", "my-agent", platform.env)
    _set_version(root, "1.2.3")
    for args in (("--env", "development"), ("--env", "production")):
        done = platform("ai", "agent", "deploy", "my-agent", *args, cwd=root)
        assert done.code == 0, done.out
    _set_version(root, "1.3.0")
    done = platform(
        "ai", "agent", "deploy", "my-agent", "--env", "production", "--replicas", "3",
        "--cpu", "1000m", "--memory", "1Gi", cwd=root,
    )  # fmt: skip
    assert done.code == 0, done.out

    said = "in production, the environment deployed to last (also deployed: development"
    scaled = platform("ai", "agent", "scale", "my-agent", "--replicas", "5")
    assert scaled.code == 0, scaled.out
    assert said in scaled.stderr
    assert _status(platform, "production")["replicas_desired"] == 5
    assert _status(platform, "development")["replicas_desired"] == 1
    for value in ("on", "off"):
        auto = platform("ai", "agent", "scale", "my-agent", "--autoscale", value)
        assert auto.code == 0, auto.out
        assert said in auto.stderr
    production = _status(platform, "production")
    assert production["autoscale"] is False  # off again, in production only
    assert _status(platform, "development")["autoscale"] is False
    assert 2 <= production["replicas_desired"] <= 10  # the autoscaler may have moved it

    back = platform("ai", "agent", "rollback", "my-agent")
    assert back.code == 0, back.out
    assert said in back.stderr
    assert "Rolled back my-agent in production to 1.2.3" in back.stdout
    assert _status(platform, "production")["version"] == "1.2.3"
    forward = platform("ai", "agent", "rollback", "my-agent", "--version", "1.3.0")
    assert forward.code == 0, forward.out
    pinned = platform("ai", "agent", "rollback", "my-agent", "--version", "1.2.3")
    assert pinned.code == 0, pinned.out
    assert "Rolled back my-agent in production to 1.2.3" in pinned.stdout
    assert _status(platform, "development")["version"] == "1.2.3"  # untouched throughout

    # --env still picks; and a deploy to development makes it the default
    explicit = platform(
        "ai", "agent", "scale", "my-agent", "--replicas", "4", "--env", "production"
    )
    assert explicit.code == 0, explicit.out
    assert "deployed to last" not in explicit.stderr
    _set_version(root, "1.4.0")
    assert platform("ai", "agent", "deploy", "my-agent", cwd=root).code == 0
    refused = platform("ai", "agent", "scale", "my-agent", "--replicas", "5")
    assert refused.code == 2
    assert "in development, the environment deployed to last" in refused.stderr
    assert _status(platform, "production")["replicas_desired"] == 4
