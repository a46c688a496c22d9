"""Command groups that plugins contribute to ``nexus ai`` (see ``nexus_cli.plugin``).

Which groups exist is read from entry-point metadata, without importing a plugin;
a group's module is imported only when it is run or its summary is shown. The
built-in groups (``lazy``) resolve first, so ``nexus ai agent ...`` never reads the metadata.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import typer

from nexus_cli.commands._group import GROUP_SETTINGS, LazyGroup, click_command

if TYPE_CHECKING:
    from nexus_cli.entry_points import EntryPoint


@cache
def declared() -> dict[str, EntryPoint]:
    """Every ``nexus.commands`` entry point by name (the first one wins), none imported."""
    from nexus_cli.entry_points import entry_points
    from nexus_cli.plugin import GROUP

    found: dict[str, EntryPoint] = {}
    for ep in entry_points(GROUP):
        found.setdefault(ep.name, ep)
    return found


def load(name: str, ep: EntryPoint) -> Any:
    """The Click command behind one entry point; a broken plugin gives a command that says so."""
    from nexus_cli.errors import OperationFailed

    try:
        app = ep.load()
        if not isinstance(app, typer.Typer):
            raise TypeError(f"{ep.value} is a {type(app).__name__}, not a typer.Typer")
    except Exception as exc:  # a broken plugin must not break `nexus ai --help`
        reason = f"{type(exc).__name__}: {exc}"
        dist = ep.distribution
        app = typer.Typer(help=f"(not loaded: {reason})", **GROUP_SETTINGS)

        @app.callback(invoke_without_command=True)
        def broken() -> None:
            raise OperationFailed(
                f"the command group {name!r} ({ep.value}) could not be loaded: {reason}",
                hint=f"reinstall the package that provides it ({dist})",
            )

    return click_command(name, app)  # a group even when it has one verb


class PluginGroup(LazyGroup):
    """A group that also offers the command groups plugins declare."""

    def list_commands(self, ctx: Any) -> list[str]:
        names: list[str] = super().list_commands(ctx)
        return names + sorted(set(declared()) - set(names))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        ep = declared().get(cmd_name)
        return None if ep is None else load(cmd_name, ep)
