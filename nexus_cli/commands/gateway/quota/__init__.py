"""``nexus ai gateway quota``: registers one command per verb module."""

from __future__ import annotations

from nexus_cli.commands._group import group
from nexus_cli.commands.gateway.quota.set import set_quota
from nexus_cli.commands.gateway.quota.show import show_quota

app = group("An agent's quota at the gateway, per environment.")
app.command("set")(set_quota)
app.command("show")(show_quota)

__all__ = ["app"]
