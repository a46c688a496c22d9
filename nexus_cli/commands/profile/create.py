"""``nexus ai profile create NAME --provider P [--option KEY=VALUE ...] [--use]``."""

from __future__ import annotations

from typing import Annotated

import typer

from nexus_cli import completion
from nexus_cli.commands._options import JsonOpt


def create(
    name: Annotated[str, typer.Argument(help="Profile name, e.g. prod-swarm.")],
    provider: Annotated[
        str,
        typer.Option(
            "--provider",
            "-p",
            help="Provider the profile uses.",
            show_default=False,
            autocompletion=completion.providers,
        ),
    ],
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="KEY=VALUE, repeatable (nexus ai provider show P)."),
    ] = None,
    use_it: Annotated[bool, typer.Option("--use", help="Also make it the profile in use.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Create (or replace) a profile: a provider and its options under a name."""
    import re

    from nexus_cli import output
    from nexus_cli.commands.profile._models import info, lines
    from nexus_cli.context import use_json
    from nexus_cli.errors import UsageError
    from nexus_cli.providers.registry import load_class
    from nexus_cli.providers.selection import Profile, load

    use_json(json_)
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,47}", name):
        raise UsageError(
            f"invalid profile name {name!r}",
            hint="use 1-48 lowercase letters, digits, dots, dashes or underscores",
        )
    known = load_class(provider).options
    options: dict[str, str] = {}
    for item in option or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(
                f"--option {item!r} is not KEY=VALUE", hint="e.g. --option region=eu-west-1"
            )
        if key not in known:
            listing = ", ".join(sorted(known)) or "none"
            raise UsageError(
                f"provider {provider!r} has no option {key!r} (its options: {listing})",
                hint=f"nexus ai provider show {provider}",
            )
        options[key] = value
    store = load()
    store.profiles[name] = Profile(name, provider, options)
    if use_it or store.current is None:
        store.current = name
    store.save()
    output.emit(info(name), lines)
