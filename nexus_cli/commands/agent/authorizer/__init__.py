"""``nexus ai agent authorizer``: one command per verb module, imported when it is used."""

from __future__ import annotations

from nexus_cli.commands._group import Lazy, group

_HERE = "nexus_cli.commands.agent.authorizer"

app = group(
    "An external OIDC issuer whose tokens may call the agent.",
    lazy={
        "set": Lazy(
            f"{_HERE}.set:set_authorizer",
            "Accept the issuer's tokens (JWTs) on the agent's run, stream and tasks.",
        ),
        "show": Lazy(
            f"{_HERE}.show:show", "Show the external OIDC issuer whose tokens may call the agent."
        ),
        "delete": Lazy(
            f"{_HERE}.delete:delete", "Stop accepting the external issuer's tokens for the agent."
        ),
    },
)

__all__ = ["app"]
