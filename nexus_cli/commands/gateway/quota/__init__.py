"""``nexus ai gateway quota``: one command per verb module, imported when it is used."""

from __future__ import annotations

from nexus_cli.commands._group import Lazy, group

_HERE = "nexus_cli.commands.gateway.quota"

app = group(
    "An agent's quota at the gateway, per environment.",
    lazy={
        "set": Lazy(
            f"{_HERE}.set:set_quota", "Change an agent's limits (those not given stay as they are)."
        ),
        "show": Lazy(f"{_HERE}.show:show_quota", "Show an agent's limits at the gateway."),
    },
)

__all__ = ["app"]
