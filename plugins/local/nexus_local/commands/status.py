"""``nexus ai emulator status``: is the local emulator running, where, with which runtime."""

from __future__ import annotations

from nexus_cli.plugin import JsonOpt


def status(json_: JsonOpt = False) -> None:
    """Show whether the local emulator runs, its URL, runtime and files."""
    from nexus_cli import output
    from nexus_cli.context import use_json
    from nexus_local import admin, lifecycle
    from nexus_local.commands._render import render_status

    use_json(json_)
    output.emit(admin.status(lifecycle.Emulator.resolve()), render_status)
