"""``nexus ai agent webhook``: the secret that signs an agent's task webhooks."""

from __future__ import annotations

from nexus_cli.commands._group import Lazy, group

_SECRET = "nexus_cli.commands.agent.webhook.secret"

secret_app = group(
    "The agent's webhook signing secret (Standard Webhooks, whsec_…).",
    lazy={
        "show": Lazy(
            f"{_SECRET}:show",
            "Print the secret receivers verify the agent's webhooks with (whsec_…).",
        ),
        "rotate": Lazy(
            f"{_SECRET}:rotate",
            "Make a new secret; the previous one keeps signing next to it for 24 h.",
        ),
    },
)

app = group("Task webhooks of an agent, signed as Standard Webhooks.")
app.add_typer(secret_app, name="secret")

__all__ = ["app"]
