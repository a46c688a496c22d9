"""``nexus ai token create --sub NAME --scope agents:invoke``: mint a caller JWT."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

import typer

from nexus_cli.commands._options import JsonOpt

if TYPE_CHECKING:
    from nexus_api.identity import TokenResult

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
TTL_RE = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")


def parse_ttl(text: str) -> float:
    """``90``, ``90s``, ``15m``, ``1h``, ``1d`` as seconds."""
    from nexus_cli.errors import UsageError

    match = TTL_RE.match(text.strip().lower())
    if match is None or float(match.group(1)) <= 0:
        raise UsageError(f"--ttl {text!r} is not a duration", hint="e.g. --ttl 15m or --ttl 1h")
    return float(match.group(1)) * UNITS[match.group(2) or "s"]


def _show(result: TokenResult) -> None:
    """The token alone on stdout (never wrapped), what it allows on stderr."""
    from nexus_cli import output

    claims = result.claims
    reach = f"agent {claims['agent']}" if claims.get("agent") else "every agent"
    output.notice(
        f"Token for {claims['sub']} ({claims['scope']}, {reach}), "
        f"expires in {result.expires_in} s; send it as Authorization: Bearer <token>"
    )
    output.text(result.token)


def create(
    sub: Annotated[str, typer.Option("--sub", help="Who the token stands for (its subject).")],
    scope: Annotated[
        list[str],
        typer.Option("--scope", help="agents:invoke (run agents) or admin; repeat for several."),
    ],
    agent: Annotated[
        str | None, typer.Option("--agent", help="Only this agent may be called with it.")
    ] = None,
    ttl: Annotated[str, typer.Option("--ttl", help="Lifetime: 90s, 15m, 1h (at most 24h).")] = "1h",
    json_: JsonOpt = False,
) -> None:
    """Mint a signed token (JWT) that callers present to /agents/NAME/run, stream and tasks.

    The token alone goes to stdout (TOKEN=$(nexus ai token create ...)); --json adds
    its claims and expiry.
    """
    from nexus.ai.spec import check_name
    from nexus_cli import output
    from nexus_cli.context import provider, use_json
    from nexus_cli.errors import checked

    use_json(json_)
    if agent is not None:
        checked(check_name, agent)
    scopes = sorted({s for item in scope for s in item.replace(",", " ").split()})
    result = provider().token_create(sub, scopes, agent, parse_ttl(ttl))
    if use_json(False):
        output.print_json(result)
    else:
        _show(result)
