"""``nexus ai agent secret``: registers one command per verb module."""

from __future__ import annotations

from nexus_cli.commands._group import group
from nexus_cli.commands.agent.secret.delete import delete
from nexus_cli.commands.agent.secret.list import list_secrets
from nexus_cli.commands.agent.secret.set import set_secret

app = group("Secrets of an agent: injected as environment variables, encrypted at rest.")
app.command("set")(set_secret)
app.command("list")(list_secrets)
app.command("delete")(delete)

__all__ = ["app"]
