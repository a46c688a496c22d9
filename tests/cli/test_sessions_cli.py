"""`isolation = "session"` in nexus.toml, `run --session`, `sessions` and `session stop`
through the CLI (process runtime), and a redeploy that does not say keeps the isolation."""

from __future__ import annotations

import json

import pytest

from tests.cli.cli_support import Platform, make_project


def test_sessions_listed_and_stopped_through_the_cli(
    platform: Platform, tmp_path_factory: pytest.TempPathFactory
) -> None:
    name = "sess-agent"
    root = make_project(tmp_path_factory.mktemp("sess") / name, name, platform.env)
    toml = root / "nexus.toml"
    toml.write_text(toml.read_text().replace("[agent]\n", '[agent]\nisolation = "session"\n', 1))
    try:
        assert platform("ai", "agent", "deploy", cwd=root).code == 0
        for session in ("alice", "bob", "alice"):
            ran = platform("ai", "agent", "run", name, "--session", session, "hi")
            assert ran.code == 0, ran.out
        listed = json.loads(platform("ai", "agent", "sessions", name, "--json").stdout)
        assert sorted(s["id"] for s in listed) == ["alice", "bob"], listed
        assert len({s["replica"]["id"] for s in listed}) == 2, listed  # one replica each
        human = platform("ai", "agent", "sessions", name).stdout
        assert "alice" in human, human
        assert "bob" in human, human

        stopped = platform("ai", "agent", "session", "stop", name, "alice")
        assert stopped.code == 0, stopped.out
        assert "alice" in stopped.stdout, stopped.out
        left = json.loads(platform("ai", "agent", "sessions", name, "--json").stdout)
        assert [s["id"] for s in left] == ["bob"], left
        again = platform("ai", "agent", "session", "stop", name, "alice")
        assert again.code != 0, again.out  # no such session any more

        # a redeploy that does not say keeps isolation = "session" (nexus.toml unchanged)
        assert platform("ai", "agent", "deploy", "--isolation", "session", cwd=root).code == 0
        toml.write_text(toml.read_text().replace('isolation = "session"\n', "", 1))
        assert platform("ai", "agent", "deploy", cwd=root).code == 0
        assert platform("ai", "agent", "run", name, "--session", "carol", "hi").code == 0
        ids = [
            s["id"] for s in json.loads(platform("ai", "agent", "sessions", name, "--json").stdout)
        ]
        assert "carol" in ids, ids
    finally:
        platform("ai", "agent", "delete", name, "--yes")
