"""``nexus ai profile use NAME``: the profile commands use from now on."""

from __future__ import annotations

from typing import Annotated

import typer

from nexus_cli.commands._options import JsonOpt


def use(
    name: Annotated[str, typer.Argument(help="Profile name (nexus ai profile list).")],
    json_: JsonOpt = False,
) -> None:
    """Use this profile from now on (--provider and NEXUS_PROVIDER still win)."""
    from nexus_cli import output
    from nexus_cli.commands.profile._models import info, lines
    from nexus_cli.context import use_json
    from nexus_cli.providers.selection import load

    use_json(json_)
    store = load()
    store.get(name)
    store.current = name
    store.save()
    output.emit(info(name), lines)
