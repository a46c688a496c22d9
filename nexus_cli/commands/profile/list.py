"""``nexus ai profile list``: every profile (* marks the one in use)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nexus_cli.commands._options import JsonOpt

if TYPE_CHECKING:
    from nexus_cli.commands.profile._models import ProfileInfo


def _render(items: list[ProfileInfo]) -> Any:
    from rich.table import Table

    if not items:
        return "No profiles. Create one: nexus ai profile create NAME --provider P --option K=V"
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("NAME", "PROVIDER", "OPTIONS"):
        table.add_column(col)
    for p in items:
        options = ", ".join(f"{k}={v}" for k, v in sorted(p.options.items()))
        table.add_row(("* " if p.current else "  ") + p.name, p.provider, options or "-")
    return table


def list_profiles(json_: JsonOpt = False) -> None:
    """List profiles (* marks the one in use)."""
    from nexus_cli import output
    from nexus_cli.commands.profile._models import ProfileInfo
    from nexus_cli.context import current, use_json
    from nexus_cli.providers.selection import load

    use_json(json_)
    store = load()
    in_use = current().profile or store.current
    items = [
        ProfileInfo(name=p.name, provider=p.provider, options=p.options, current=p.name == in_use)
        for p in sorted(store.profiles.values(), key=lambda p: p.name)
    ]
    output.emit(items, _render)
