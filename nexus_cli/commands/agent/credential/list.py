"""``nexus ai agent credential list NAME``: names and kinds, never values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nexus_cli.commands._options import AgentArg, JsonOpt

if TYPE_CHECKING:
    from nexus_api.identity import CredentialInfo


def _render(items: list[CredentialInfo]) -> Any:
    from rich.table import Table

    from nexus_cli.commands._cells import ago

    if not items:
        return "No credentials yet: nexus ai agent credential set NAME CRED --api-key -"
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("NAME", "KIND", "UPDATED"):
        table.add_column(column)
    for c in items:
        table.add_row(c.name, c.kind, ago(c.updated_at))
    return table


def list_credentials(
    name: AgentArg,
    json_: JsonOpt = False,
) -> None:
    """List an agent's outbound credentials: names and kinds (values are never shown)."""
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider

    begin(json_, name)
    output.emit(provider().credential_list(name), _render)
