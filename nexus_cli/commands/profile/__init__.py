"""``nexus ai profile``: named provider settings (one command per verb module)."""

from __future__ import annotations

from nexus_cli.commands._group import Lazy, group

_HERE = "nexus_cli.commands.profile"

app = group(
    "Profiles: a provider and its options, under a name (never credentials).",
    lazy={
        "create": Lazy(
            f"{_HERE}.create:create",
            "Create (or replace) a profile: a provider and its options under a name.",
        ),
        "use": Lazy(
            f"{_HERE}.use:use",
            "Use this profile from now on (--provider and NEXUS_PROVIDER still win).",
        ),
        "list": Lazy(f"{_HERE}.list:list_profiles", "List profiles (* marks the one in use)."),
        "show": Lazy(f"{_HERE}.show:show", "Show a profile: its provider and options."),
    },
)

__all__ = ["app"]
