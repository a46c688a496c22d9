"""The shortcut past Typer's pydantic coercion (nexus_cli/commands/_group.py) still applies,
and gives every parameter the value Typer itself would give.

It relies on Typer internals (its parameter classes and ``process_value``), so
pyproject.toml pins Typer to the tested minor version; these tests are what
fails first when a Typer release changes those internals.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.core import TyperArgument, TyperOption

from nexus_cli.commands import _group
from nexus_cli.commands._group import _PlainArgument, _PlainOption
from nexus_cli.main import app
from tests.cli.cli_support import Platform, imported_by


def walk(command: Any, ctx: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    yield path, command, ctx
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                yield from walk(sub, type(ctx)(sub, info_name=name, parent=ctx), f"{path} {name}")


def all_commands() -> list[tuple[str, Any, Any]]:
    root = typer.main.get_command(app)
    return list(walk(root, root.context_class(root, info_name="nexus"), "nexus"))


def test_every_parameter_of_every_command_takes_the_shortcut() -> None:
    """A Typer that builds its parameters from other classes would skip the shortcut
    silently (and every command would import pydantic again): this says where."""
    missed = []
    for path, command, ctx in all_commands():
        for param in command.get_params(ctx):
            if isinstance(param, TyperOption | TyperArgument) and not isinstance(
                param, _PlainOption | _PlainArgument
            ):
                missed.append(f"{path}: {param.name} ({type(param).__name__})")
            elif not isinstance(param, TyperOption | TyperArgument):
                missed.append(f"{path}: {param.name} is a {type(param).__name__}")
    assert missed == []


ARGVS = [
    ["ai", "agent", "run", "hello", "hi"],
    ["ai", "agent", "run", "hello", "-", "-c", "user_id=7", "--context", "tier=gold"],
    ["ai", "agent", "run", "hello", "hi", "--env", "staging", "--async", "--webhook", "http://x"],
    ["ai", "agent", "run", "hello", "hi", "--json", "--stream"],
    ["ai", "agent", "status", "hello", "-e", "production"],
    ["ai", "agent", "list", "--json"],
    ["ai", "agent", "logs", "hello", "-n", "5", "--level", "info", "-f", "--since", "1h"],
    ["ai", "agent", "scale", "hello", "--replicas", "3", "--autoscale", "on", "-e", "staging"],
    ["ai", "agent", "deploy", "-e", "staging", "--cpu", "500m", "--replicas", "2", "--path", "."],
    ["ai", "agent", "logs", "hello"],  # -n left at its default (an int)
    ["ai", "dashboard"],  # --interval left at its default (a float)
    ["ai", "dashboard", "--interval", "0.5", "--readonly"],
]


def leaf(argv: list[str]) -> tuple[Any, list[str]]:
    command: Any = typer.main.get_command(app)
    args = list(argv)
    while args and hasattr(command, "get_command"):
        sub = command.get_command(None, args[0])
        if sub is None:
            break
        command, args = sub, args[1:]
    return command, args


def typer_own(params: list[Any]) -> None:
    """Put Typer's own parameter classes back (what the shortcut replaced)."""
    for param in params:
        own: Any = param
        if isinstance(param, _PlainOption):
            own.__class__ = TyperOption
        elif isinstance(param, _PlainArgument):
            own.__class__ = TyperArgument


@pytest.mark.parametrize("argv", ARGVS, ids=[" ".join(a[1:4]) for a in ARGVS])
def test_the_shortcut_gives_the_values_typer_gives(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    command, args = leaf(argv)
    name = argv[-len(args) - 1]
    fast_ctx = command.make_context(name, list(args))
    params = command.get_params(fast_ctx)
    assert any(isinstance(p, _PlainOption | _PlainArgument) for p in params)

    monkeypatch.setattr(_group, "_plain", lambda params: params)
    saved = {id(p): type(p) for p in params}
    typer_own(params)
    try:
        slow = command.make_context(name, list(args)).params
    finally:
        for param in params:
            param.__class__ = saved[id(param)]
    assert fast_ctx.params == slow
    assert {k: type(v) for k, v in fast_ctx.params.items()} == {k: type(v) for k, v in slow.items()}


def test_help_and_the_frequent_commands_import_no_pydantic() -> None:
    """Parsing `run`, `list`, `status` and `dashboard` (and the groups above them) builds no
    pydantic adapter: Typer would import pydantic (~50 ms) for it."""
    code = (
        "import sys\n"
        "import typer.main\n"
        "from nexus_cli.main import app\n"
        "root = typer.main.get_command(app)\n"
        "root.make_context('nexus', ['--provider', 'local', '--json', 'ai'])\n"
        "for argv in (['ai', 'agent', 'run', 'hello', 'hi', '-c', 'a=b', '--env', 'staging'],\n"
        "             ['ai', 'agent', 'status', 'hello'], ['ai', 'agent', 'list', '--json'],\n"
        "             ['ai', 'dashboard']):\n"
        "    command, name, args = root, 'nexus', list(argv)\n"
        "    while hasattr(command, 'get_command'):\n"
        "        command.make_context(name, list(args))\n"
        "        name, args = args[0], args[1:]\n"
        "        command = command.get_command(None, name)\n"
        "    print('PARSED', command.make_context(name, args).params, file=sys.stderr)\n"
        "try:\n"
        "    app(['ai', 'agent', '--help'], prog_name='nexus')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('PYDANTIC', 'pydantic' in sys.modules, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.stderr.strip().splitlines()[-1:] == ["PYDANTIC False"], proc.stderr


def test_run_list_and_status_import_no_pydantic_rich_or_httpx(
    platform: Platform, deployed: str
) -> None:
    """The three most frequent commands, run for real against an emulator, print their
    results without pydantic (models), Rich (tables) or an HTTP library."""
    code = (
        "import sys\n"
        "from nexus_cli.main import app\n"
        "try:\n"
        "    app(sys.argv[1:], prog_name='nexus')\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'rich', 'pydantic', 'httpx', 'docker', 'nexus_emulator'})\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    for argv in (
        ["ai", "agent", "run", deployed, "hi", "-c", "user_id=7"],
        ["ai", "agent", "list"],
        ["--json", "ai", "agent", "list"],
        ["ai", "agent", "status", deployed],
        ["ai", "agent", "status", deployed, "--json", "--env", "development"],
    ):
        proc = subprocess.run(
            [sys.executable, "-c", code, *argv],
            capture_output=True,
            text=True,
            env=platform.env,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip(), argv
        assert proc.stderr.strip().splitlines()[-1] == "HEAVY []", (argv, proc.stderr)


def command_modules_after(argv: list[str]) -> list[str]:
    """The ``nexus_cli.commands`` modules a real ``nexus ARGV`` process has imported at exit."""
    out, modules = imported_by(argv)
    assert "Usage: nexus" in out
    return [m for m in modules if m.startswith("nexus_cli.commands.")]


def test_help_imports_no_command_module() -> None:
    """`nexus --help` and `nexus ai --help` build no verb: Typer would read the signature and
    type hints of every command of the CLI for them (about a third of `--help`'s time)."""
    assert command_modules_after(["--help"]) == [
        "nexus_cli.commands._group",
        "nexus_cli.commands._plugins",
    ]
    # the emulator plugin's group imports the shared helpers (nexus_cli.plugin), no verb
    assert command_modules_after(["ai", "--help"]) == [
        "nexus_cli.commands._cells",
        "nexus_cli.commands._group",
        "nexus_cli.commands._options",
        "nexus_cli.commands._plugins",
    ]


def test_a_verb_imports_only_its_own_module() -> None:
    assert command_modules_after(["ai", "agent", "run", "--help"]) == [
        "nexus_cli.commands._group",
        "nexus_cli.commands._options",
        "nexus_cli.commands._plugins",
        "nexus_cli.commands.agent",
        "nexus_cli.commands.agent.run",
    ]
