"""``nexus ai identity``: one command per verb module, imported when it is used."""

from __future__ import annotations

from nexus_cli.commands._group import Lazy, group

_HERE = "nexus_cli.commands.identity"

app = group(
    "The platform's token issuer: its signing keys.",
    lazy={
        "keys": Lazy(
            f"{_HERE}.keys:keys", "List the signing keys published in the JWKS (the newest signs)."
        ),
        "rotate-keys": Lazy(
            f"{_HERE}.rotate_keys:rotate_keys",
            "Rotate the issuer's signing key now (no restart; tokens already out keep working).",
        ),
    },
)

__all__ = ["app"]
