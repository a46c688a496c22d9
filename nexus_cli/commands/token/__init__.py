"""``nexus ai token``: registers one command per verb module."""

from __future__ import annotations

from nexus_cli.commands._group import group
from nexus_cli.commands.token.create import create

app = group("Tokens (JWTs) for callers of the agents' HTTP API.")
app.command("create")(create)

__all__ = ["app"]
