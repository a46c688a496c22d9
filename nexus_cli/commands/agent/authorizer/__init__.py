"""``nexus ai agent authorizer``: registers one command per verb module."""

from __future__ import annotations

from nexus_cli.commands._group import group
from nexus_cli.commands.agent.authorizer.delete import delete
from nexus_cli.commands.agent.authorizer.set import set_authorizer
from nexus_cli.commands.agent.authorizer.show import show

app = group("An external OIDC issuer whose tokens may call the agent.")
app.command("set")(set_authorizer)
app.command("show")(show)
app.command("delete")(delete)

__all__ = ["app"]
