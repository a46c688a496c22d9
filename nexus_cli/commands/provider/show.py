"""``nexus ai provider show NAME``: one provider's capabilities and options."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from nexus_cli.commands._options import JsonOpt

if TYPE_CHECKING:
    from nexus_cli.commands.provider._models import ProviderDetail


def _render(d: ProviderDetail) -> list[Any]:
    from rich.table import Table

    have = [c for c, ok in d.capabilities.items() if ok]
    lacks = [c for c, ok in d.capabilities.items() if not ok]
    lines: list[Any] = [
        f"{d.name} {d.version or ''}".rstrip() + (f": {d.description}" if d.description else ""),
        f"  module:       {d.module} ({d.distribution or 'unknown distribution'})",
        f"  can:          {', '.join(have) or '-'}",
        f"  cannot:       {', '.join(lacks) or '-'}  (exit 2: not supported by provider)",
    ]
    if not d.enabled:
        lines.append("  enabled:      no (NEXUS_PROVIDERS leaves it out)")
    if d.options:
        table = Table(box=None, pad_edge=False, header_style="bold")
        for col in ("OPTION", "VALUE", "FROM", "HELP"):
            table.add_column(col)
        for o in d.options:
            table.add_row(o.name, o.value or "-", o.source or o.variable, o.help)
        lines += ["", table]
    return lines


def show_provider(
    name: Annotated[str, typer.Argument(help="Provider name (nexus ai provider list).")],
    json_: JsonOpt = False,
) -> None:
    """Show what a provider can do and its options (with their values in use)."""
    import os

    from nexus_cli import output
    from nexus_cli.commands.provider._models import OptionInfo, ProviderDetail
    from nexus_cli.context import current, use_json
    from nexus_cli.providers.base import Capability
    from nexus_cli.providers.registry import entries, load_class
    from nexus_cli.providers.selection import choose

    use_json(json_)
    cls = load_class(name)
    entry = next(e for e in entries() if e.name == name)
    state = current()
    chosen, settings, why = choose(state.provider, state.profile, None)
    options = []
    for key, help_text in cls.options.items():
        variable = f"NEXUS_{name.upper()}_{key.upper()}"
        info = OptionInfo(name=key, help=help_text, variable=variable)
        if chosen == name and settings.get(key) not in (None, ""):
            info.value, info.source = str(settings[key]), why
        elif os.environ.get(variable, "").strip():
            info.value, info.source = os.environ[variable].strip(), variable
        options.append(info)
    detail = ProviderDetail(
        name=name,
        module=entry.module,
        distribution=entry.distribution,
        version=entry.version,
        enabled=entry.enabled,
        description=cls.description or None,
        capabilities={str(c): c in cls.capabilities for c in Capability},
        options=options,
    )
    output.emit(detail, _render)
