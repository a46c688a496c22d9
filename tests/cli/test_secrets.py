"""`nexus ai agent secret set/list/delete`, as the seed shows them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.cli_support import Platform, make_project

AGENT = """
import os

from nexus.ai.agents import Agent


class Keyed(Agent):
    def __init__(self):
        # Secrets are injected as environment variables
        self.api_key = os.environ["EXTERNAL_API_KEY"]

    async def process(self, input: str):
        return f"key ends with {self.api_key[-3:]}"
"""


def test_secret_commands(platform: Platform, tmp_path: Path) -> None:
    root = make_project(tmp_path / "keyed", "keyed", platform.env)
    (root / "agent.py").write_text(AGENT)
    first = platform("ai", "agent", "secret", "set", "keyed", "EXTERNAL_API_KEY", "sk-...")
    assert first.code == 0, first.out
    assert "Set secret EXTERNAL_API_KEY for every environment (hmac-sha256:" in first.stdout
    assert "sk-..." not in first.out
    assert platform("ai", "agent", "deploy", cwd=root).code == 0
    assert platform("ai", "agent", "run", "keyed", "hi").stdout.strip() == "key ends with ..."

    piped = platform("ai", "agent", "secret", "set", "keyed", "EXTERNAL_API_KEY", stdin="sk-xyz\n")
    assert piped.code == 0, piped.out
    assert "restarted the replicas of development" in piped.stdout
    # where the key is kept is said once, by the set that created it
    said = [r for r in (first, piped) if "encrypted with a key kept in" in r.stderr]
    assert said == [first]
    key_file = platform.emulator.home / "secret.key"  # the suite turns the OS keyring off
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert platform("ai", "agent", "run", "keyed", "hi").stdout.strip() == "key ends with xyz"

    listed = json.loads(platform("--json", "ai", "agent", "secret", "list", "keyed").stdout)
    assert [(s["name"], s["scope"]) for s in listed] == [("EXTERNAL_API_KEY", "*")]
    assert "sk-xyz" not in json.dumps(listed)
    table = platform("ai", "agent", "secret", "list", "keyed").stdout
    assert "EXTERNAL_API_KEY" in table
    assert "all" in table

    # the agent needs it: deleting it keeps the old replicas serving and says so
    gone = platform("ai", "agent", "secret", "delete", "keyed", "EXTERNAL_API_KEY")
    assert gone.code == 1, gone.out
    assert "is saved, but the replicas with it did not start" in gone.stderr
    assert "KeyError: 'EXTERNAL_API_KEY'" in gone.stderr
    assert platform("ai", "agent", "run", "keyed", "hi").stdout.strip() == "key ends with xyz"

    missing = platform("ai", "agent", "secret", "delete", "keyed", "EXTERNAL_API_KEY")
    assert missing.code == 2, missing.out
    assert "has no secret 'EXTERNAL_API_KEY'" in missing.stderr
    bad = platform("ai", "agent", "secret", "set", "keyed", "1BAD", "x")
    assert bad.code == 2, bad.out
    assert "invalid secret name" in bad.stderr


def test_empty_secret_name_is_refused_before_any_call(offline: Platform) -> None:
    for verb in (["set", "keyed", "", "v"], ["delete", "keyed", ""]):
        refused = offline("ai", "agent", "secret", *verb)
        assert refused.code == 2, refused.out
        assert "invalid secret name ''" in refused.stderr
        assert "HTTP 307" not in refused.out
    assert not (offline.emulator.home / "emulator.json").exists()  # nothing was started
