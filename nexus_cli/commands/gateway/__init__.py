"""``nexus ai gateway``: one command per verb module, imported when it is used."""

from __future__ import annotations

from nexus_cli.commands._group import Lazy, group

_HERE = "nexus_cli.commands.gateway"

app = group(
    "The AI gateway agents reach models through: models, quotas, audit, usage.",
    lazy={
        "models": Lazy(
            f"{_HERE}.models:models",
            "List the models the gateway serves (the offline model answers without network).",
        ),
        "audit": Lazy(
            f"{_HERE}.audit:audit",
            "Show the gateway's audit: agent, model, tokens, latency and status of each call.",
        ),
        "usage": Lazy(
            f"{_HERE}.usage:usage",
            "Show an agent's calls and tokens at the gateway, per environment.",
        ),
        "model": Lazy(
            f"{_HERE}.model:app",
            "Models the gateway routes to an upstream (any OpenAI-compatible URL).",
        ),
        "quota": Lazy(f"{_HERE}.quota:app", "An agent's quota at the gateway, per environment."),
    },
)

__all__ = ["app"]
