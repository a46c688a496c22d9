"""``nexus ai provider``: one command per verb module, imported when it is used."""

from __future__ import annotations

from nexus_cli.commands._group import Lazy, group

_HERE = "nexus_cli.commands.provider"

app = group(
    "Hosting provider plugins.",
    lazy={
        "list": Lazy(
            f"{_HERE}.list:list_providers", "List provider plugins (* marks the one in use)."
        ),
        "show": Lazy(
            f"{_HERE}.show:show_provider",
            "Show what a provider can do and its options (with their values in use).",
        ),
    },
)

__all__ = ["app"]
