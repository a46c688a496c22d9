"""``nexus ai gateway model``: registers one command per verb module."""

from __future__ import annotations

from nexus_cli.commands._group import group
from nexus_cli.commands.gateway.model.add import add
from nexus_cli.commands.gateway.model.remove import remove

app = group("Models the gateway routes to an upstream (any OpenAI-compatible URL).")
app.command("add")(add)
app.command("remove")(remove)

__all__ = ["app"]
