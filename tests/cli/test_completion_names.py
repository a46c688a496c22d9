"""Dynamic completion: agent, environment and secret names from the local cache, via real bash."""

from __future__ import annotations

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
