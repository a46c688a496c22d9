"""``nexus ai gateway usage NAME``: an agent's model use per environment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from nexus_cli.commands._options import JsonOpt

if TYPE_CHECKING:
    from nexus_api.gateway import Usage


def _render(usage: Usage) -> str:
    from nexus_cli.output import columns

    if not usage.environments:
        return f"{usage.agent} has made no model calls yet."
    head = ["ENV", "CALLS", "REFUSED", "TOKENS IN", "TOKENS OUT", "TODAY", "THIS MONTH"]
    body = [
        [
            env,
            str(u.calls),
            str(u.refused),
            str(u.tokens_in),
            str(u.tokens_out),
            str(u.tokens_today),
            str(u.tokens_this_month),
        ]
        for env, u in sorted(usage.environments.items())
    ]
    return columns(body, head)


def usage(name: Annotated[str, typer.Argument(help="Agent name.")], json_: JsonOpt = False) -> None:
    """Show an agent's calls and tokens at the gateway, per environment."""
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider

    begin(json_, name)
    output.emit(provider().gateway_usage(name), _render)
