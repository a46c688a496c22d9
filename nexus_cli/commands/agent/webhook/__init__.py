"""``nexus ai agent webhook``: the secret that signs an agent's task webhooks."""

from __future__ import annotations

from nexus_cli.commands._group import group
from nexus_cli.commands.agent.webhook.secret import rotate, show

secret_app = group("The agent's webhook signing secret (Standard Webhooks, whsec_…).")
secret_app.command("show")(show)
secret_app.command("rotate")(rotate)

app = group("Task webhooks of an agent, signed as Standard Webhooks.")
app.add_typer(secret_app, name="secret")

__all__ = ["app"]
