"""``nexus ai identity keys``: the issuer's published signing keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nexus_cli.commands._options import JsonOpt

if TYPE_CHECKING:
    from nexus_api.identity import KeyInfo


def _render(keys: list[KeyInfo]) -> Any:
    from rich.table import Table

    from nexus_cli.commands._cells import ago

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("KID", "STATE", "CREATED", "RETIRED"):
        table.add_column(column)
    for k in keys:
        state = "signing" if k.signing else "retired (still verifies)"
        retired = ago(k.retired_at) if k.retired_at else ""
        table.add_row(k.kid, state, ago(k.created_at), retired)
    return table


def keys(json_: JsonOpt = False) -> None:
    """List the signing keys published in the JWKS (the newest signs)."""
    from nexus_cli import output
    from nexus_cli.context import provider, use_json

    use_json(json_)
    output.emit(provider().identity_keys(), _render)
