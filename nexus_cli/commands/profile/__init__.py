"""``nexus ai profile``: named provider settings (one command per verb module)."""

from __future__ import annotations

from nexus_cli.commands._group import group
from nexus_cli.commands.profile.create import create
from nexus_cli.commands.profile.list import list_profiles
from nexus_cli.commands.profile.show import show
from nexus_cli.commands.profile.use import use

app = group("Profiles: a provider and its options, under a name (never credentials).")
app.command("create")(create)
app.command("use")(use)
app.command("list")(list_profiles)
app.command("show")(show)

__all__ = ["app"]
