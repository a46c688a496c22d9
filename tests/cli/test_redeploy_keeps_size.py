"""A redeploy keeps the size the environment runs at unless the user says otherwise.

Through the real `nexus` command against a real emulator: a scaled count (or a
`--cpu` given once) outlives a code-only redeploy; `--replicas` wins; nexus.toml's
value applies on the first deploy and whenever it changes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli.cli_support import Platform, make_project


def staging(platform: Platform, name: str) -> dict[str, Any]:
    result = platform("--json", "ai", "agent", "status", name, "--env", "staging")
    assert result.code == 0, result.out
    env: dict[str, Any] = json.loads(result.stdout)["environments"][0]
    return env


def size(platform: Platform, name: str) -> tuple[int, int, str]:
    """(replicas asked, replicas healthy, cpu) of staging."""
    env = staging(platform, name)
    healthy = sum(r["state"] == "healthy" for r in env["replicas"])
    return env["replicas_desired"], healthy, env["resources"]["cpu"]


def deploy(platform: Platform, root: Path, *flags: str) -> None:
    result = platform("ai", "agent", "deploy", "--env", "staging", *flags, cwd=root)
    assert result.code == 0, result.out


def set_toml_replicas(root: Path, old: int, new: int) -> None:
    toml = root / "nexus.toml"
    text = toml.read_text()
    table = "[environments.staging]\n"
    head, tail = text.split(table)
    assert tail.startswith(f"replicas = {old}\n"), tail
    toml.write_text(head + table + tail.replace(f"replicas = {old}", f"replicas = {new}", 1))


def test_redeploy_keeps_a_scaled_count(platform: Platform, tmp_path: Path) -> None:
    name = "sized-agent"
    root = make_project(tmp_path / name, name, platform.env)  # staging: 1 replica, 1000m
    deploy(platform, root)
    assert size(platform, name) == (1, 1, "1000m")

    scaled = platform("ai", "agent", "scale", name, "--env", "staging", "--replicas", "3")
    assert scaled.code == 0, scaled.out
    assert size(platform, name) == (3, 3, "1000m")

    # a code-only redeploy: the new code serves, on as many replicas as before
    agent = root / "agent.py"
    agent.write_text(agent.read_text().replace('f"Hello ', 'f"Howdy '))
    deploy(platform, root)
    assert size(platform, name) == (3, 3, "1000m")
    ran = platform("ai", "agent", "run", name, "hi", "--env", "staging")
    assert ran.stdout == "Howdy there, you said: hi\n", ran.out

    # an explicit --replicas wins, and so does a --cpu; both stay on the next redeploy
    deploy(platform, root, "--replicas", "2", "--cpu", "500m")
    assert size(platform, name) == (2, 2, "500m")
    agent.write_text(agent.read_text().replace('f"Howdy ', 'f"Hi '))
    deploy(platform, root)
    assert size(platform, name) == (2, 2, "500m")

    # nexus.toml is the declared baseline: a changed value applies on the next deploy
    set_toml_replicas(root, 1, 3)
    deploy(platform, root)
    assert size(platform, name) == (3, 3, "500m")
    # ... and only once: scaling afterwards sticks again
    assert platform("ai", "agent", "scale", name, "--env", "staging", "-r", "1").code == 0
    deploy(platform, root)
    assert size(platform, name) == (1, 1, "500m")


def test_first_deploy_takes_nexus_toml(platform: Platform, tmp_path: Path) -> None:
    name = "declared-agent"
    root = make_project(tmp_path / name, name, platform.env)
    set_toml_replicas(root, 1, 2)
    deploy(platform, root)
    assert size(platform, name) == (2, 2, "1000m")
    assert staging(platform, name)["resources"]["memory"] == "1Gi"
