"""``nexus ai agent authorizer set NAME --discovery-url URL --audience A``: trust an issuer."""

from __future__ import annotations

from typing import Annotated

import typer

from nexus_cli.commands._options import AgentArg, JsonOpt


def set_authorizer(
    name: AgentArg,
    discovery_url: Annotated[
        str,
        typer.Option("--discovery-url", help="The issuer's .../.well-known/openid-configuration."),
    ],
    audience: Annotated[
        list[str] | None, typer.Option("--audience", help="An allowed aud (repeat for several).")
    ] = None,
    client: Annotated[
        list[str] | None,
        typer.Option("--client", help="An allowed client_id/azp (repeat for several)."),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Accept the issuer's tokens (JWTs) on the agent's run, stream and tasks.

    Tokens must carry one of the --audience values and/or come from one of the
    --client ids; the issuer's keys are fetched from its discovery URL.
    """
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.commands.agent.authorizer.show import render
    from nexus_cli.context import provider
    from nexus_cli.errors import UsageError

    begin(json_, name)
    if not audience and not client:
        raise UsageError(
            "name at least one allowed audience or client",
            hint=f"nexus ai agent authorizer set {name} --discovery-url URL --audience API",
        )
    info = provider().authorizer_set(name, discovery_url, audience or [], client or [])
    output.emit(info, render)
