"""Dynamic completion: agent, environment and secret names from the local cache, via real bash."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.cli_support import Platform, make_project
from tests.cli.cli_support import nexus as nexus_cmd
from tests.cli.test_completion import complete


def test_bash_completes_names_the_cli_has_seen(offline: Platform, tmp_path: Path) -> None:
    # its own emulator (started by the first deploy): the session's keeps no secret of ours
    env = offline.env | {"NEXUS_CONFIG_DIR": str(tmp_path / "config")}
    cache = tmp_path / "config" / "cache" / "completion.json"

    def nexus(*args: str) -> None:
        result = nexus_cmd(*args, env=env)
        assert result.code == 0, result.out

    assert complete("nexus ai agent logs ", 4, env) == []  # no cache yet: nothing, no error
    assert not cache.exists()
    root = make_project(tmp_path / "compl-one", "compl-one", env)
    nexus("ai", "agent", "deploy", "--path", str(root))
    try:
        assert complete("nexus ai agent logs ", 4, env) == ["compl-one"]
        assert complete("nexus ai agent status compl-", 4, env) == ["compl-one"]
        # a global option first: answered by the CLI's own (Typer) completion, same names
        assert complete("nexus --json ai agent logs ", 5, env) == ["compl-one"]
        assert complete("nexus ai agent logs compl-one --env st", 6, env) == ["staging"]
        nexus("ai", "agent", "secret", "set", "compl-one", "API_KEY", "v1")
        nexus("ai", "agent", "secret", "set", "compl-one", "OTHER_KEY", "v2")
        assert complete("nexus ai agent secret delete compl-one ", 6, env) == [
            "API_KEY",
            "OTHER_KEY",
        ]
        nexus("ai", "agent", "secret", "delete", "compl-one", "OTHER_KEY")
        assert complete("nexus ai agent secret delete compl-one ", 6, env) == ["API_KEY"]

        cache.write_text("{not json")  # damaged: completes nothing, fails nothing
        assert complete("nexus ai agent logs ", 4, env) == []
        nexus("ai", "agent", "list")  # rewrites it with what the platform has
        assert "compl-one" in complete("nexus ai agent logs ", 4, env)
        nexus("ai", "agent", "delete", "compl-one", "--yes")
        assert "compl-one" not in complete("nexus ai agent logs ", 4, env)
    finally:
        nexus_cmd("ai", "emulator", "reset", "--yes", env=env)


def test_completion_show_and_install(offline: Platform, tmp_path: Path) -> None:
    for shell, marker in (
        ("bash", "complete -o default -F _nexus_completion nexus"),
        ("zsh", "compdef"),
        ("fish", "complete --command nexus"),
        ("powershell", "Register-ArgumentCompleter"),
    ):
        shown = offline("completion", "show", shell)
        assert shown.code == 0, shown.out
        assert marker in shown.stdout
        assert (
            shown.stdout
            == (
                Path(__file__).parents[2]
                / "completions"
                / f"nexus.{'ps1' if shell == 'powershell' else shell}"
            ).read_text()
        )
    bad = offline("completion", "show", "tcsh")
    assert bad.code == 2
    assert "bash, zsh, fish, powershell" in bad.stderr
    home = tmp_path / "user"
    home.mkdir()
    installed = nexus_cmd("completion", "install", "bash", env=offline.env | {"HOME": str(home)})
    assert installed.code == 0, installed.out
    assert "_NEXUS_COMPLETE=complete_bash" in (home / ".bash_completions" / "nexus.sh").read_text()
    assert "nexus.sh" in (home / ".bashrc").read_text()


def test_bash_completes_versions_task_ids_and_providers(offline: Platform, tmp_path: Path) -> None:
    env = offline.env | {"NEXUS_CONFIG_DIR": str(tmp_path / "config")}

    def nexus(*args: str) -> str:
        result = nexus_cmd(*args, env=env)
        assert result.code == 0, result.out
        return result.stdout

    assert complete("nexus ai agent task status ", 5, env) == []  # nothing seen yet
    assert complete("nexus --provider lo", 2, env) == ["local"]  # installed, none loaded
    assert "local" in complete("nexus ai profile create p --provider ", 6, env)
    root = make_project(tmp_path / "compl-ver", "compl-ver", env)
    nexus("ai", "agent", "deploy", "--path", str(root))
    try:
        assert complete("nexus ai agent rollback compl-ver --version ", 6, env) == [
            "0.1.0",
            "r1",
        ]
        toml = root / "nexus.toml"
        toml.write_text(toml.read_text().replace('version = "0.1.0"', 'version = "0.2.0"'))
        (root / "agent.py").write_text((root / "agent.py").read_text().replace("Hello", "Hi"))
        nexus("ai", "agent", "deploy", "--path", str(root))
        assert complete("nexus ai agent logs compl-ver --version 0.", 6, env) == [
            "0.1.0",
            "0.2.0",
        ]
        (tmp_path / "config" / "cache" / "completion.json").unlink()
        nexus("ai", "agent", "history", "compl-ver")  # history alone feeds them again
        assert complete("nexus ai agent rollback compl-ver -v r", 6, env) == ["r1", "r2"]
        # a global option first: Typer's own completion, from the same cache
        assert complete("nexus --json ai agent rollback compl-ver --version r", 7, env) == [
            "r1",
            "r2",
        ]

        queued = nexus("--json", "ai", "agent", "run", "compl-ver", "hi", "--async")
        task = json.loads(queued)["task_id"]
        assert complete("nexus ai agent task status ", 5, env) == [task]
        assert complete("nexus ai agent task cancel task_", 5, env) == [task]
        assert complete("nexus --json ai agent task retry ", 6, env) == [task]
        (tmp_path / "config" / "cache" / "completion.json").write_text("[]")  # damaged
        assert complete("nexus ai agent task status ", 5, env) == []
        nexus("ai", "agent", "task", "list", "compl-ver")
        assert complete("nexus ai agent task status ", 5, env) == [task]
    finally:
        nexus_cmd("ai", "emulator", "reset", "--yes", env=env)
