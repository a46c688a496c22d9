"""``nexus ai gateway models``: the models agents may call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nexus_cli.commands._options import JsonOpt

if TYPE_CHECKING:
    from nexus_api.gateway import ModelInfo


def _render(items: list[ModelInfo]) -> str:
    from nexus_cli.output import columns

    rows = [
        [m.id, m.kind, m.provider, m.upstream_model or "", m.url or "", m.agent or "(all)"]
        for m in items
    ]
    return columns(rows, ["MODEL", "KIND", "PROVIDER", "UPSTREAM MODEL", "URL", "AGENT"])


def models(json_: JsonOpt = False) -> None:
    """List the models the gateway serves (the offline model answers without network)."""
    from nexus_cli import output
    from nexus_cli.context import provider, use_json

    use_json(json_)
    output.emit(provider().gateway_models(), _render)
