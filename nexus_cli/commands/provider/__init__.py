"""``nexus ai provider``: registers one command per verb module."""

from __future__ import annotations

from nexus_cli.commands._group import group
from nexus_cli.commands.provider.list import list_providers
from nexus_cli.commands.provider.show import show_provider

app = group("Hosting provider plugins.")
app.command("list")(list_providers)
app.command("show")(show_provider)

__all__ = ["app"]
