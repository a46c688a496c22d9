"""Generate docs/reference.md, the command reference, from the CLI itself, and
docs/configuration.md, every NEXUS_* variable, from ``nexus.settings_reference``.

It walks the Click command tree behind the Typer app in ``nexus_cli.main`` and
writes every command with its usage line, its help and its arguments and options.
Also writes the shell completion scripts in completions/ (bash, zsh, fish, powershell).
``--check`` writes nothing and fails when a committed file is stale.
"""

from __future__ import annotations

import argparse
import difflib
import inspect
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "reference.md"
CONFIGURATION = ROOT / "docs" / "configuration.md"
PROG = "nexus"

HEADER = """# Command reference

Every `nexus` command with its usage, help and options. This file is generated
from the CLI by `bash scripts/gen-docs` (the test suite runs `scripts/gen-docs
--check`); edit the commands' help, not this file.
"""


def load_root() -> tuple[Any, Any]:
    """The root command behind ``nexus_cli.main.app`` and the Context class that goes with it.

    Typer builds Click-style commands (its own bundled copy of Click in recent releases), so
    the tree is walked by duck typing: ``get_params``, ``list_commands``, ``get_help_record``.
    """
    sys.path.insert(0, str(ROOT))
    import typer
    import typer.main

    from nexus_cli import main

    app: Any = getattr(main, "app", None)
    if not isinstance(app, typer.Typer):
        raise SystemExit("gen-docs: nexus_cli.main has no Typer app named `app`")
    root = typer.main.get_command(app)
    context_class: Any = getattr(root, "context_class", None)
    if context_class is None:
        context_class = sys.modules[type(root).__mro__[1].__module__].Context
    return root, context_class


def _clean(text: str | None) -> str:
    if not text:
        return ""
    lines = [line for line in inspect.cleandoc(text).splitlines() if line.strip() != "\b"]
    return "\n".join(lines).strip()


def _portable(text: str) -> str:
    """Keep machine-specific paths (home, temp dirs) out of the generated file."""
    home = os.path.expanduser("~")
    if home not in ("", "/"):
        text = text.replace(home, "~")
    return text


def _cell(text: str) -> str:
    return _portable(" ".join(text.split())).replace("|", "\\|")


def _params(cmd: Any, ctx: Any) -> list[str]:
    rows: list[str] = []
    for param in cmd.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, help_text = record
        kind = "argument" if param.param_type_name == "argument" else "option"
        rows.append(f"| `{_cell(names)}` | {kind} | {_cell(help_text)} |")
    if not rows:
        return []
    return ["| name | kind | description |", "|---|---|---|", *rows, ""]


def _walk(cmd: Any, ctx: Any, context_class: Any, out: list[str]) -> None:
    path = ctx.command_path
    out += [f"## `{path}`", ""]
    out += ["```", _portable(cmd.get_usage(ctx).strip()), "```", ""]
    help_text = _clean(cmd.help)
    if help_text:
        out += [_portable(help_text), ""]
    out += _params(cmd, ctx)
    subs: list[tuple[str, Any]] = []
    if hasattr(cmd, "list_commands"):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not getattr(sub, "hidden", False):
                subs.append((name, sub))
    if subs:
        out += ["| command | summary |", "|---|---|"]
        for name, sub in subs:
            title = f"{path} {name}"
            summary = _cell(sub.get_short_help_str(limit=120))
            out.append(f"| [`{title}`](#{_anchor(title)}) | {summary} |")
        out.append("")
    for name, sub in subs:
        _walk(sub, context_class(sub, info_name=name, parent=ctx), context_class, out)


def _anchor(title: str) -> str:
    return "".join(c for c in title.lower().replace(" ", "-") if c.isalnum() or c in "-_")


def render() -> str:
    root, context_class = load_root()
    out: list[str] = [HEADER]
    _walk(root, context_class(root, info_name=PROG), context_class, out)
    return "\n".join(out).rstrip() + "\n"


def completions() -> dict[Path, str]:
    """The shell completion scripts of completions/ (they call back into `nexus`)."""
    from typer._completion_shared import get_completion_script

    return {
        ROOT / "completions" / f"nexus.{ext}": get_completion_script(
            prog_name=PROG, complete_var="_NEXUS_COMPLETE", shell=shell
        ).rstrip()
        + "\n"
        for shell, ext in (
            ("bash", "bash"),
            ("zsh", "zsh"),
            ("fish", "fish"),
            ("powershell", "ps1"),
        )
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/gen-docs", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    scripts = completions()
    if args.check:
        stale = [
            str(path.relative_to(ROOT))
            for path, text in scripts.items()
            if not path.exists() or path.read_text(encoding="utf-8") != text
        ]
        if stale:
            print(
                f"gen-docs: {', '.join(stale)} stale or missing.\n"
                "hint: bash scripts/gen-docs  # then commit completions/",
                file=sys.stderr,
            )
            return 1
    else:
        for path, text in scripts.items():
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"gen-docs: wrote {path.relative_to(ROOT)}")
    sys.path.insert(0, str(ROOT))
    from nexus.settings_reference import reference

    stale_docs = 0
    for target, text, why in (
        (TARGET, render(), "the CLI changed"),
        (CONFIGURATION, reference(), "nexus/settings.py, home.py or settings_reference.py changed"),
    ):
        name = target.relative_to(ROOT)
        if not args.check:
            target.write_text(text, encoding="utf-8")
            print(f"gen-docs: wrote {name}")
            continue
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current == text:
            print(f"gen-docs: {name} is up to date")
            continue
        diff = difflib.unified_diff(
            current.splitlines(), text.splitlines(), "committed", "generated", lineterm="", n=1
        )
        print("\n".join(list(diff)[:60]), file=sys.stderr)
        print(
            f"gen-docs: {name} is stale ({why}).\n"
            f"hint: bash scripts/gen-docs  # then commit {name}",
            file=sys.stderr,
        )
        stale_docs += 1
    return 1 if stale_docs else 0


if __name__ == "__main__":
    raise SystemExit(main())
