"""``nexus ai gateway audit``: one row per model call."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

from nexus_cli.commands._options import JsonOpt

if TYPE_CHECKING:
    from nexus_api.gateway import AuditRow


def _render(rows: list[AuditRow]) -> str:
    from nexus_cli.output import columns

    if not rows:
        return "No model calls yet."
    head = ["TIME", "AGENT", "ENV", "MODEL", "IN", "OUT", "MS", "STATUS", "REQUEST"]
    body = [
        [
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.at)),
            r.agent,
            r.env,
            r.model,
            str(r.tokens_in),
            str(r.tokens_out),
            f"{r.latency_ms:.1f}",
            str(r.status),
            (r.request_id or "")[:12],
        ]
        for r in rows
    ]
    return columns(body, head)


def audit(
    agent: Annotated[str | None, typer.Option("--agent", help="Only this agent's calls.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only calls newer than this, e.g. 1h, 15m.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many rows.")] = 100,
    json_: JsonOpt = False,
) -> None:
    """Show the gateway's audit: agent, model, tokens, latency and status of each call."""
    from nexus_cli import output
    from nexus_cli.commands.agent.logs import parse_since
    from nexus_cli.context import provider, use_json
    from nexus_cli.errors import UsageError

    use_json(json_)
    if not 0 < limit <= 10_000:
        raise UsageError(f"--limit {limit} is out of range", hint="use 1 to 10000")
    after = time.time() - parse_since(since) if since else None
    output.emit(provider().gateway_audit(agent, after, limit), _render)
