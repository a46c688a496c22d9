"""``nexus ai agent session``: one command per verb module, imported when it is used."""

from __future__ import annotations

from nexus_cli.commands._group import Lazy, group

_HERE = "nexus_cli.commands.agent.session"

app = group(
    "One session of an agent deployed with --isolation session.",
    lazy={
        "stop": Lazy(
            f"{_HERE}.stop:stop", "End a session now: its replica is destroyed with its filesystem."
        ),
    },
)

__all__ = ["app"]
