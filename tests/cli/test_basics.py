"""Global options, help, version, and the lazy-import rule behind a fast --help."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version

from tests.cli.cli_support import Platform, nexus


def test_version(offline: Platform) -> None:
    result = offline("--version")
    assert result.code == 0, result.out
    assert result.stdout.strip() == f"nexus {version('nexus-agents')}"


def test_no_arguments_shows_help(offline: Platform) -> None:
    result = offline()
    assert result.code == 2, result.out  # no command is a usage error: help on stderr
    assert "Usage: nexus" in result.stderr
    assert "ai" in result.stderr


def test_agent_help_lists_every_verb(offline: Platform) -> None:
    result = offline("ai", "agent", "--help")
    assert result.code == 0, result.out
    for verb in ("init", "deploy", "run", "list", "status", "history", "rollback", "delete"):
        assert f"  {verb} " in result.stdout


def test_unknown_command_is_a_usage_error(offline: Platform) -> None:
    result = offline("ai", "agent", "deploi")
    assert result.code == 2, result.out
    assert "No such command" in result.stderr


def test_help_imports_no_heavy_library() -> None:
    """`--help` must not load rich, pydantic, httpx or docker (they cost tens of ms)."""
    code = (
        "import sys\n"
        "from nexus_cli.main import app\n"
        "for argv in (['--help'], ['ai', 'agent', '--help'],\n"
        "             ['ai', 'agent', 'deploy', '--help']):\n"
        "    try:\n"
        "        app(argv, prog_name='nexus')\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'rich', 'pydantic', 'httpx', 'docker', 'nexus_local', 'nexus_emulator'})\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "HEAVY []" in proc.stderr, proc.stderr


def test_json_error_goes_to_stdout_human_error_to_stderr(offline: Platform) -> None:
    human = offline("ai", "agent", "status", "Bad_Name")
    assert human.code == 2, human.out
    assert human.stdout == ""
    assert human.stderr.startswith("Error: invalid agent name 'Bad_Name'")
    assert "Hint: e.g. my-agent" in human.stderr

    for args in (
        ("--json", "ai", "agent", "status", "Bad_Name"),
        ("ai", "agent", "status", "Bad_Name", "--json"),
    ):
        result = offline(*args)
        assert result.code == 2, result.out
        error = json.loads(result.stdout)["error"]
        assert error["code"] == "usage"
        assert error["exit_code"] == 2
        assert "invalid agent name" in error["message"]


def test_debug_shows_the_traceback(offline: Platform) -> None:
    result = offline("--debug", "ai", "agent", "status", "Bad_Name")
    assert result.code == 2, result.out
    assert "Traceback" in result.stderr
    plain = offline("ai", "agent", "status", "Bad_Name")
    assert "Traceback" not in plain.stderr
    env = {**offline.env, "NEXUS_DEBUG": "1"}
    assert "Traceback" in nexus("ai", "agent", "status", "Bad_Name", env=env).stderr
