"""``nexus ai identity rotate-keys``: sign with a new key, keep the old ones published."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nexus_cli.commands._options import JsonOpt

if TYPE_CHECKING:
    from nexus_api.identity import RotateResult


def _render(result: RotateResult) -> str:
    hours = result.retired_kept_for // 3600
    text = (
        f"New signing key {result.kid}. The previous keys stay published for {hours} h, "
        "so tokens they signed verify until they expire."
    )
    if result.dropped:
        text += f" Dropped for good: {', '.join(result.dropped)}."
    return text


def rotate_keys(json_: JsonOpt = False) -> None:
    """Rotate the issuer's signing key now (no restart; tokens already out keep working)."""
    from nexus_cli import output
    from nexus_cli.context import provider, use_json

    use_json(json_)
    output.emit(provider().rotate_keys(), _render)
