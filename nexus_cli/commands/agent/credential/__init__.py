"""``nexus ai agent credential``: one command per verb module, imported when it is used."""

from __future__ import annotations

from nexus_cli.commands._group import Lazy, group

_HERE = "nexus_cli.commands.agent.credential"

app = group(
    "Outbound credentials an agent uses: API keys and OAuth2 clients.",
    lazy={
        "set": Lazy(
            f"{_HERE}.set:set_credential",
            "Store a credential the agent fetches with self.credentials (values are never shown).",
        ),
        "list": Lazy(
            f"{_HERE}.list:list_credentials",
            "List an agent's outbound credentials: names and kinds (values are never shown).",
        ),
        "delete": Lazy(f"{_HERE}.delete:delete", "Delete an outbound credential of the agent."),
    },
)

__all__ = ["app"]
