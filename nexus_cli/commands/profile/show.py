"""``nexus ai profile show [NAME]``: one profile (default: the one in use)."""

from __future__ import annotations

from typing import Annotated

import typer

from nexus_cli.commands._options import JsonOpt


def show(
    name: Annotated[str | None, typer.Argument(help="Profile name (default: in use).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Show a profile: its provider and options."""
    from nexus_cli import output
    from nexus_cli.commands.profile._models import info, lines
    from nexus_cli.context import current, use_json
    from nexus_cli.errors import UsageError
    from nexus_cli.providers.selection import load

    use_json(json_)
    chosen = name or current().profile or load().current
    if chosen is None:
        raise UsageError(
            "no profile in use", hint="nexus ai profile create NAME --provider P --use"
        )
    output.emit(info(chosen), lines)
