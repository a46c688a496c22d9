"""``nexus ai agent memory``: registers one command per verb module."""

from __future__ import annotations

from nexus_cli.commands._group import group
from nexus_cli.commands.agent.memory.delete import delete
from nexus_cli.commands.agent.memory.records import records
from nexus_cli.commands.agent.memory.search import search
from nexus_cli.commands.agent.memory.sessions import sessions
from nexus_cli.commands.agent.memory.settings import settings
from nexus_cli.commands.agent.memory.show import show

app = group("An agent's memory: conversation sessions and long-term records.")
app.command("sessions")(sessions)
app.command("show")(show)
app.command("search")(search)
app.command("records")(records)
app.command("delete")(delete)
app.command("settings")(settings)

__all__ = ["app"]
