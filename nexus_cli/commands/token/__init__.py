"""``nexus ai token``: one command per verb module, imported when it is used."""

from __future__ import annotations

from nexus_cli.commands._group import Lazy, group

_HERE = "nexus_cli.commands.token"

app = group(
    "Tokens (JWTs) for callers of the agents' HTTP API.",
    lazy={
        "create": Lazy(
            f"{_HERE}.create:create",
            "Mint a signed token (JWT) that callers present to /agents/NAME/run, stream and tasks.",
        ),
    },
)

__all__ = ["app"]
