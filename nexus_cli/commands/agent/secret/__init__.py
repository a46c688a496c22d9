"""``nexus ai agent secret``: one command per verb module, imported when it is used."""

from __future__ import annotations

from nexus_cli.commands._group import Lazy, group

_HERE = "nexus_cli.commands.agent.secret"

app = group(
    "Secrets of an agent: injected as environment variables, encrypted at rest.",
    lazy={
        "set": Lazy(
            f"{_HERE}.set:set_secret",
            "Set a secret for every environment (or one --env); running replicas restart.",
        ),
        "list": Lazy(
            f"{_HERE}.list:list_secrets",
            "List an agent's secrets: names, environments and digests (values are never shown).",
        ),
        "delete": Lazy(
            f"{_HERE}.delete:delete",
            "Delete a secret (the agent-wide one, or one --env's); running replicas restart.",
        ),
    },
)

__all__ = ["app"]
