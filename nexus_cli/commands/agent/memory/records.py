"""``nexus ai agent memory records NAME [--namespace NS]``: long-term records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from nexus_cli.commands._options import JsonOpt
from nexus_cli.commands.agent.memory._common import NamespaceOpt

if TYPE_CHECKING:
    from nexus_api.memory import Record


def _render(items: list[Record]) -> str:
    from nexus_cli.commands.agent.memory._common import when
    from nexus_cli.output import columns

    if not items:
        return "No records."
    rows = [[r.id, r.namespace, r.key, when(r.updated_at), r.text] for r in items]
    return columns(rows, ["ID", "NAMESPACE", "KEY", "UPDATED", "TEXT"])


def records(
    name: Annotated[str, typer.Argument(help="Agent name.")],
    namespace: NamespaceOpt = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many.")] = 100,
    json_: JsonOpt = False,
) -> None:
    """List an agent's long-term records, newest first."""
    from nexus_cli import output
    from nexus_cli.context import provider, use_json

    use_json(json_)
    output.emit(provider().memory_records(name, namespace, limit), _render)
