"""Help pages list their commands without importing them (nexus_cli/commands/_group.py).

Each group names its commands with ``Lazy(target, summary)``; its help page and shell
completion show the summary, so a command's module is imported only when it runs or its
own help is shown. The first test keeps every summary equal to what Click makes of the
command's real help; the second runs every group's help page in a real process and
checks which modules it imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

import pytest
import typer

from nexus_cli.commands._group import FastCommand, Lazy, LazyGroup, click_command
from nexus_cli.main import app
from tests.cli.cli_support import imported_by

WIDTHS = (20, 45, 78, 10_000)  # Click cuts a summary to the help column; 10_000: none


@dataclass
class Page:
    path: tuple[str, ...]  # the words after `nexus`
    group: Any  # the Click group
    own: set[str] = field(default_factory=set)  # the modules of the groups on its path


def target(entry: Lazy) -> Any:
    module, _, attribute = entry.target.partition(":")
    return getattr(import_module(module), attribute)


def pages() -> list[Page]:
    """Every group of the CLI, with the modules that define it and its parents."""
    found: list[Page] = []

    def walk(page: Page) -> None:
        found.append(page)
        for name in page.group.list_commands(None):
            command = page.group.get_command(None, name)
            if not hasattr(command, "list_commands"):
                continue
            entry = getattr(page.group, "lazy", {}).get(name)
            module = {entry.target.partition(":")[0]} if entry is not None else set()
            walk(Page((*page.path, name), command, page.own | module))

    walk(Page((), typer.main.get_group(app)))
    return found


def lazy_entries() -> list[tuple[str, str, Lazy]]:
    return [
        (" ".join(page.path), name, entry)
        for page in pages()
        if isinstance(page.group, LazyGroup)
        for name, entry in page.group.lazy.items()
    ]


def test_every_group_page_is_lazy() -> None:
    """Every group but the root's `ai` (always built) and the completion group (its verbs
    live in its module) names its commands lazily."""
    eager = {
        " ".join(page.path): sorted(set(page.group.commands) - set(getattr(page.group, "lazy", {})))
        for page in pages()
    }
    eager = {path: names for path, names in eager.items() if names}
    # ai: the root adds it as a group; webhook secret: a group of the webhook module itself
    assert eager == {
        "": ["ai"],
        "ai agent webhook": ["secret"],
        "completion": ["install", "show"],
    }


@pytest.mark.parametrize(
    ("page", "name", "entry"), lazy_entries(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_summary_is_the_commands_own(page: str, name: str, entry: Lazy) -> None:
    real = click_command(name, target(entry))
    assert not real.hidden, f"nexus {page} {name}: a hidden command would be listed"
    assert not real.deprecated, f"nexus {page} {name}: its summary would lose the mark"
    listed = FastCommand(name, help=entry.summary)
    for width in WIDTHS:
        assert listed.get_short_help_str(width) == real.get_short_help_str(width), (
            f"nexus {page} {name}: the summary in its group differs from its help; "
            "copy the first paragraph of its help into the Lazy(...) entry"
        )


def test_group_help_pages_import_no_listed_command() -> None:
    """`nexus ai agent --help` imported its twenty-two verbs to print their summaries; no
    group page (`nexus --help`, `nexus ai --help`, `nexus ai emulator --help`, ...) imports
    a command it lists, nor any other group's or verb's module."""
    everything = pages()
    lazy = {entry.target.partition(":")[0] for _, _, entry in lazy_entries()}
    assert len(everything) >= 15  # the walk found the CLI
    assert len(lazy) >= 60
    for page in everything:
        out, modules = imported_by([*page.path, "--help"])
        assert "Commands:" in out, page.path
        for name in page.group.list_commands(None):  # every command is on the page
            assert f"  {name} " in out, (page.path, name)
        assert sorted((lazy - page.own) & set(modules)) == [], page.path


def test_completion_lists_commands_without_importing_them() -> None:
    """A TAB after `nexus ai agent ` offers the verbs with their summaries, importing none."""
    group: Any = typer.main.get_group(app)
    ai = group.get_command(None, "ai")
    agent = ai.get_command(None, "agent")
    ctx = agent.make_context("agent", [], resilient_parsing=True)
    offered = {item.value: item.help for item in agent.shell_complete(ctx, "st")}
    assert agent.commands == {}  # nothing was built (or imported) for it
    status = agent.get_command(ctx, "status")
    assert offered == {"status": status.get_short_help_str()}
    assert "--help" in {item.value for item in agent.shell_complete(ctx, "--")}
