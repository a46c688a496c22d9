"""``nexus ai provider``: registers one command per verb module."""

from __future__ import annotations

from nexus_cli.commands._group import group
from nexus_cli.commands.provider.list import list_providers

app = group("Hosting provider plugins.")
app.command("list")(list_providers)

__all__ = ["app"]
