"""``nexus ai agent secret list NAME``: names, scopes and digests, never values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nexus_cli.commands._options import AgentArg, JsonOpt

if TYPE_CHECKING:
    from nexus_api.models import Secret


def _render(secrets: list[Secret]) -> Any:
    from rich.table import Table

    from nexus_cli.commands._cells import ago

    if not secrets:
        return "No secrets yet: nexus ai agent secret set NAME KEY"
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("NAME", "ENVIRONMENT", "DIGEST", "UPDATED"):
        table.add_column(column)
    for s in secrets:
        table.add_row(s.name, "all" if s.scope == "*" else s.scope, s.digest, ago(s.updated_at))
    return table


def list_secrets(
    name: AgentArg,
    json_: JsonOpt = False,
) -> None:
    """List an agent's secrets: names, environments and digests (values are never shown)."""
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider

    begin(json_, name)
    from nexus_cli import completion

    found = provider().secret_list(name)
    completion.remember_secrets(name, [s.name for s in found])
    output.emit(found, _render)
