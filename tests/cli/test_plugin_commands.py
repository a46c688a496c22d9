"""Plugins add command groups to `nexus ai` through the `nexus.commands` entry points.

The plugins here are real installed distributions (a dist-info directory on
PYTHONPATH), found by importlib.metadata in a real `nexus` process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.cli_support import Result

GREETER = '''
from typing import Annotated

import typer

from nexus_cli.plugin import JsonOpt, group

app = group("Say hello from a plugin.")


@app.command("greet")
def greet(name: Annotated[str, typer.Argument(help="Who.")], json_: JsonOpt = False) -> None:
    """Greet someone."""
    from nexus_cli import output
    from nexus_cli.context import use_json

    use_json(json_)
    output.emit({"greeting": f"hello {name}"}, lambda r: r["greeting"])
'''


def install(site: Path, dist: str, entry_points: dict[str, str], module: str = "") -> None:
    """Install a distribution into ``site`` the way pip lays it out: code and a dist-info."""
    info = site / f"{dist}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    lines = [f"{name} = {value}" for name, value in entry_points.items()]
    (info / "entry_points.txt").write_text("[nexus.commands]\n" + "\n".join(lines) + "\n")
    if module:
        (site / f"{dist.replace('-', '_')}.py").write_text(module)


def nexus_in(site: Path, *args: str) -> Result:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_")}
    env["PYTHONPATH"] = str(site)
    env["NEXUS_HOME"] = str(site / "home")
    proc = subprocess.run(
        [sys.executable, "-m", "nexus_cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    return site


def test_a_plugin_group_is_listed_and_runs(site: Path) -> None:
    install(site, "nexus-greeter", {"greeter": "nexus_greeter:app"}, GREETER)

    listing = nexus_in(site, "ai", "--help")
    assert listing.code == 0, listing.out
    assert "  greeter    Say hello from a plugin.\n" in listing.stdout
    assert "emulator" in listing.stdout  # the local provider's group, declared the same way

    greet = nexus_in(site, "ai", "greeter", "greet", "ada")
    assert greet.code == 0, greet.out
    assert greet.stdout == "hello ada\n"
    as_json = nexus_in(site, "--json", "ai", "greeter", "greet", "ada")
    assert as_json.stdout.strip() == '{\n  "greeting": "hello ada"\n}'


def test_a_broken_plugin_does_not_break_help_and_says_what_failed(site: Path) -> None:
    install(site, "nexus-broken", {"broken": "nexus_missing_module:app"})

    listing = nexus_in(site, "ai", "--help")
    assert listing.code == 0, listing.out
    assert "broken" in listing.stdout
    assert "(not loaded: ModuleNotFoundError" in listing.stdout

    run = nexus_in(site, "ai", "broken")
    assert run.code == 1, run.out
    assert "Error: the command group 'broken' (nexus_missing_module:app) could not be loaded" in (
        run.stderr
    )
    assert "Hint: reinstall the package that provides it (nexus-broken)" in run.stderr


def test_a_plugin_cannot_replace_a_built_in_group(site: Path) -> None:
    install(site, "nexus-greeter", {"agent": "nexus_greeter:app"}, GREETER)

    agent = nexus_in(site, "ai", "agent", "--help")
    assert agent.code == 0, agent.out
    assert "Create, deploy, run and roll back agents." in agent.stdout
    assert nexus_in(site, "ai", "--help").stdout.count("  agent ") == 1


def test_help_of_other_groups_imports_no_plugin() -> None:
    """`nexus ai agent --help` reads no entry points; `nexus ai --help` imports only the
    local provider's light commands package, not its client, models or the emulator."""
    code = (
        "import sys\n"
        "from nexus_cli.main import app\n"
        "argv = sys.argv[1:]\n"
        "try:\n"
        "    app(argv, prog_name='nexus')\n"
        "except SystemExit:\n"
        "    pass\n"
        "ours = ('nexus_local', 'nexus_emulator')\n"
        "local = sorted(m for m in sys.modules if m.startswith(ours))\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'rich', 'pydantic', 'httpx', 'docker'})\n"
        "print('LOCAL', local, 'HEAVY', heavy, 'SCANNED', 'nexus_cli.entry_points' in sys.modules,"
        " file=sys.stderr)\n"
    )

    def modules(*argv: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=False
        )
        return proc.stderr.strip().splitlines()[-1]

    assert modules("ai", "agent", "--help") == "LOCAL [] HEAVY [] SCANNED False"
    listing = modules("ai", "--help")
    assert listing.startswith("LOCAL ['nexus_local', 'nexus_local.commands'"), listing
    assert "nexus_local.client" not in listing
    assert "nexus_local.lifecycle" not in listing
    assert "nexus_emulator" not in listing
    assert listing.endswith("HEAVY [] SCANNED True"), listing
