"""``nexus ai provider list``: installed provider plugins (read from metadata, not imported)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from nexus_cli.commands._options import JsonOpt

if TYPE_CHECKING:
    from nexus_cli.commands.provider._models import ProviderInfo


def _render(infos: list[ProviderInfo]) -> Any:
    from rich.table import Table

    verbose = any(i.capabilities is not None or i.error for i in infos)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("NAME", "VERSION", "MODULE", "ENABLED"):
        table.add_column(col, no_wrap=True)
    if verbose:
        table.add_column("CAPABILITIES")
    for i in infos:
        mark = "* " if i.selected else "  "
        row = [mark + i.name, i.version or "-", i.module, "yes" if i.enabled else "no"]
        if verbose:
            row.append(i.error or ", ".join(i.capabilities or []))
        table.add_row(*row)
    return table


def list_providers(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Load each provider to show its capabilities.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """List provider plugins (* marks the one in use)."""
    from nexus_cli import output
    from nexus_cli.context import provider_name, use_json
    from nexus_cli.errors import NexusError
    from nexus_cli.providers.registry import entries, load_class

    as_json = use_json(json_)
    from nexus_cli.commands.provider._models import ProviderInfo

    chosen = provider_name()
    infos = []
    for entry in entries():
        info = ProviderInfo(
            name=entry.name,
            module=entry.module,
            distribution=entry.distribution,
            version=entry.version,
            enabled=entry.enabled,
            selected=entry.name == chosen,
        )
        if (verbose or as_json) and entry.enabled:
            try:
                cls = load_class(entry.name)
            except NexusError as exc:
                info.error = exc.message
            else:
                info.description = cls.description or None
                info.capabilities = sorted(str(c) for c in cls.capabilities)
        infos.append(info)
    output.emit(infos, _render)
