"""`nexus ai emulator base-image`: builds only what is missing (like scripts/base-image)."""

from __future__ import annotations

import json
from pathlib import Path

import docker
import pytest

from tests.cli.cli_support import base_env, free_port, nexus

LOCAL_BASE = "nexus-base:bookworm-py3"  # built by CI (scripts/base-image) before the tests


@pytest.mark.docker
def test_a_present_base_image_is_not_built_again(tmp_path: Path) -> None:
    client = docker.from_env()
    try:
        image_id = client.images.get(LOCAL_BASE).id
    finally:
        client.close()
    env = base_env(tmp_path / "home", free_port())
    shown = nexus("ai", "emulator", "base-image", env=env)
    assert shown.code == 0, shown.out
    assert f"{LOCAL_BASE} is already present ({image_id[:19]})" in shown.out
    assert "--force" in shown.out
    as_json = nexus("--json", "ai", "emulator", "base-image", env=env)
    assert as_json.code == 0, as_json.out
    assert json.loads(as_json.stdout) == {"tag": LOCAL_BASE, "id": image_id, "built": False}
