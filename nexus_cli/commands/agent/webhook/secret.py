"""``nexus ai agent webhook secret show|rotate NAME``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nexus_cli.commands._options import JsonOpt


def render(secret: dict[str, Any]) -> str:
    import time

    lines = [f"{secret['agent']}: {secret['secret']}"]
    for until in secret.get("previous_until") or []:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(until))
        lines.append(f"the previous secret also signs until {when}")
    for url in secret.get("disabled_endpoints") or []:
        lines.append(f"disabled after a 410 answer: {url}")
    return "\n".join(lines)


def _emit(name: str, json_: bool, verb: str) -> None:
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider

    begin(json_, name)
    chosen = provider()
    secret = chosen.webhook_secret(name) if verb == "show" else chosen.webhook_secret_rotate(name)
    output.emit(secret, render)


def show(
    name: Annotated[str, typer.Argument(help="Agent name.")],
    json_: JsonOpt = False,
) -> None:
    """Print the secret receivers verify the agent's webhooks with (whsec_…)."""
    _emit(name, json_, "show")


def rotate(
    name: Annotated[str, typer.Argument(help="Agent name.")],
    json_: JsonOpt = False,
) -> None:
    """Make a new secret; the previous one keeps signing next to it for 24 h."""
    _emit(name, json_, "rotate")
