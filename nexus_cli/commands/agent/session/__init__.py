"""``nexus ai agent session``: registers one command per verb module."""

from __future__ import annotations

from nexus_cli.commands._group import group
from nexus_cli.commands.agent.session.stop import stop

app = group("One session of an agent deployed with --isolation session.")
app.command("stop")(stop)

__all__ = ["app"]
