"""``nexus ai identity``: registers one command per verb module."""

from __future__ import annotations

from nexus_cli.commands._group import group
from nexus_cli.commands.identity.keys import keys
from nexus_cli.commands.identity.rotate_keys import rotate_keys

app = group("The platform's token issuer: its signing keys.")
app.command("keys")(keys)
app.command("rotate-keys")(rotate_keys)

__all__ = ["app"]
