"""``nexus ai agent credential``: registers one command per verb module."""

from __future__ import annotations

from nexus_cli.commands._group import group
from nexus_cli.commands.agent.credential.delete import delete
from nexus_cli.commands.agent.credential.list import list_credentials
from nexus_cli.commands.agent.credential.set import set_credential

app = group("Outbound credentials an agent uses: API keys and OAuth2 clients.")
app.command("set")(set_credential)
app.command("list")(list_credentials)
app.command("delete")(delete)

__all__ = ["app"]
