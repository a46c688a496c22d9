"""Deploy, run, list, status, history, rollback and delete against a real emulator."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.cli_support import Platform, make_project


def test_run_prints_text_output(platform: Platform, deployed: str) -> None:
    result = platform("ai", "agent", "run", deployed, "hi there", "--context", "user_id=123")
    assert result.code == 0, result.out
    assert result.stdout == "Hello 123, you said: hi there\n"


def test_run_json_prints_output_and_metadata(platform: Platform, deployed: str) -> None:
    result = platform("--json", "ai", "agent", "run", deployed, "hi", "--env", "development")
    assert result.code == 0, result.out
    data = json.loads(result.stdout)
    assert data["output"] == "Hello there, you said: hi"
    assert data["metadata"]["env"] == "development"
    assert data["metadata"]["version"] == "0.1.0"


def test_run_reads_stdin(platform: Platform, deployed: str) -> None:
    result = platform("ai", "agent", "run", deployed, "-", stdin="from a pipe")
    assert result.code == 0, result.out
    assert result.stdout == "Hello there, you said: from a pipe\n"


def test_run_bad_context(platform: Platform, deployed: str) -> None:
    result = platform("ai", "agent", "run", deployed, "hi", "--context", "novalue")
    assert result.code == 2, result.out
    assert "--context 'novalue' is not key=value" in result.stderr


def test_unknown_agent_suggests_a_close_name(platform: Platform, deployed: str) -> None:
    result = platform("ai", "agent", "run", "echo-agnet", "hi")
    assert result.code == 2, result.out
    assert "Error: no agent named 'echo-agnet'" in result.stderr
    assert "did you mean 'echo-agent'?" in result.stderr
    status = platform("ai", "agent", "status", "echo-agnet")
    assert status.code == 2, status.out
    assert "did you mean 'echo-agent'?" in status.stderr


def test_list_table_and_json(platform: Platform, deployed: str) -> None:
    table = platform("ai", "agent", "list")
    assert table.code == 0, table.out
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["NAME", "DEVELOPMENT", "STAGING", "PRODUCTION", "VERSIONS", "UPDATED"]
    assert any(row.split()[:4] == [deployed, "0.1.0", "-", "-"] for row in rows)
    data = json.loads(platform("ai", "agent", "list", "--json").stdout)
    entry = next(a for a in data if a["name"] == deployed)
    assert entry["environments"]["development"] == "0.1.0"


def test_status_shows_replicas_endpoint_resources_runtime(
    platform: Platform, deployed: str
) -> None:
    result = platform("ai", "agent", "status", deployed)
    assert result.code == 0, result.out
    assert f"{deployed} · development" in result.stdout
    assert "1/1 healthy" in result.stdout
    assert "cpu 500m, memory 512Mi" in result.stdout
    assert "process" in result.stdout  # runtime and what it isolates
    data = json.loads(platform("--json", "ai", "agent", "status", deployed).stdout)
    (env,) = data["environments"]
    assert env["env"] == "development"
    assert env["replicas_desired"] == 1
    assert env["replicas"][0]["state"] == "healthy"


def test_history_shows_versions_and_events(platform: Platform, deployed: str) -> None:
    result = platform("ai", "agent", "history", deployed)
    assert result.code == 0, result.out
    assert "r1" in result.stdout
    assert "0.1.0" in result.stdout
    assert "via nexus-cli" in result.stdout
    assert "development" in result.stdout
    assert "deploy" in result.stdout
    data = json.loads(platform("ai", "agent", "history", deployed, "--json").stdout)
    assert data["versions"][0]["live_in"] == ["development"]
    assert data["versions"][0]["created_by"].endswith(" via nexus-cli")


def test_rollback_to_a_missing_version(platform: Platform, deployed: str) -> None:
    result = platform("ai", "agent", "rollback", deployed, "--version", "9.9.9")
    assert result.code == 2, result.out
    assert "9.9.9" in result.stderr
    assert f"nexus ai agent history {deployed}" in result.stderr


def test_status_unknown_env(platform: Platform, deployed: str) -> None:
    result = platform("ai", "agent", "status", deployed, "--env", "qa")
    assert result.code == 2, result.out
    assert "unknown environment 'qa'" in result.stderr


def test_delete_without_terminal_needs_yes(platform: Platform, deployed: str) -> None:
    result = platform("ai", "agent", "delete", deployed)
    assert result.code == 2, result.out
    assert "pass --yes" in result.stderr
    assert platform("ai", "agent", "status", deployed).code == 0  # still there


def test_redeploy_rollback_and_delete(platform: Platform, tmp_path: Path) -> None:
    root = make_project(tmp_path / "roll-agent", "roll-agent", platform.env, greeting="One")
    first = platform("ai", "agent", "deploy", "--json", cwd=root)
    assert first.code == 0, first.out
    assert json.loads(first.stdout)["version"]["label"] == "0.1.0"

    (root / "agent.py").write_text((root / "agent.py").read_text().replace('"One ', '"Two '))
    second = platform("ai", "agent", "deploy", "roll-agent", "--label", "0.2.0", cwd=root)
    assert second.code == 0, second.out
    assert "Deployed roll-agent 0.2.0 (revision 2) to development" in second.stdout
    assert "replicas: 1/1 healthy" in second.stdout
    assert platform("ai", "agent", "run", "roll-agent", "x").stdout.startswith("Two ")

    back = platform("ai", "agent", "rollback", "roll-agent")
    assert back.code == 0, back.out
    assert "Rolled back roll-agent in development to 0.1.0" in back.stdout
    assert platform("ai", "agent", "run", "roll-agent", "x").stdout.startswith("One ")

    history = json.loads(platform("--json", "ai", "agent", "history", "roll-agent").stdout)
    assert [e["action"] for e in history["events"]].count("rollback") == 1

    gone = platform("ai", "agent", "delete", "roll-agent", "--yes")
    assert gone.code == 0, gone.out
    assert "Deleted roll-agent." in gone.stdout
    assert platform("ai", "agent", "status", "roll-agent").code == 2


def test_delete_asks_on_a_terminal_and_no_keeps_the_agent(offline: Platform) -> None:
    import os
    import pty
    import subprocess

    from tests.cli.cli_support import NEXUS

    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(
            [NEXUS, "ai", "agent", "delete", "some-agent"],
            env=offline.env,
            stdin=follower,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(leader, b"n\n")
        out, err = proc.communicate(timeout=30)
    finally:
        os.close(leader)
        os.close(follower)
    assert proc.returncode == 1, out + err
    assert "Delete some-agent with all its versions and replicas?" in err
    assert "cancelled: some-agent was not deleted" in err
    assert not (offline.emulator.home / "emulator.json").exists()  # the provider was not asked


def test_an_undeployed_environment_answers_one_way(platform: Platform, deployed: str) -> None:
    said = f"{deployed} is not deployed to staging"
    hint = (
        "deployed to: development; deploy there with: "
        f"nexus ai agent deploy {deployed} --env staging"
    )
    for verb in (
        ["run", deployed, "hi"],
        ["run", deployed, "hi", "--stream"],
        ["run", deployed, "hi", "--async"],
        ["status", deployed],
        ["logs", deployed],
        ["metrics", deployed],
        ["scale", deployed, "--replicas", "2"],
        ["restart", deployed],
        ["rollback", deployed],
    ):
        result = platform("ai", "agent", *verb, "--env", "staging")
        assert result.code == 2, (verb, result.out)
        assert said in result.stderr, (verb, result.stderr)
        assert hint in result.stderr, (verb, result.stderr)
    as_json = platform("--json", "ai", "agent", "status", deployed, "--env", "staging")
    assert as_json.code == 2, as_json.out
    assert json.loads(as_json.stdout)["error"]["code"] == "not_found"
