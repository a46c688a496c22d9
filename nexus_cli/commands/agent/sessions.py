"""``nexus ai agent sessions NAME``: the sessions that have a replica of their own."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from nexus_cli.commands._options import AgentArg, JsonOpt

if TYPE_CHECKING:
    from nexus_api.models import IsolatedSession


def _ago(at: float, now: float) -> str:
    return f"{max(0.0, now - at):.0f} s ago"


def render(found: list[IsolatedSession]) -> str:
    if not found:
        return "No sessions (deploy --isolation session gives each session id a replica)."
    now = time.time()
    lines = [f"{'SESSION':<24} {'ENV':<12} {'REPLICA':<14} {'STATE':<9} STARTED / LAST CALL / ENDS"]
    for s in found:
        ends = f"in {max(0.0, s.expires_at - now):.0f} s"
        lines.append(
            f"{s.id:<24} {s.env:<12} {s.replica.id[:12]:<14} {s.replica.state:<9} "
            f"{_ago(s.started_at, now)} / {_ago(s.used_at, now)} / {ends}"
        )
    for s in found:
        if s.lost:
            lines.append(
                f"! {s.id}: its replica died {s.lost} time(s), last {_ago(s.lost_at or now, now)}; "
                "a fresh replica took over and the session's state (files, processes) was lost"
            )
    return "\n".join(lines)


def sessions(name: AgentArg, json_: JsonOpt = False) -> None:
    """List the agent's sessions that run in a replica of their own (--isolation session)."""
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider

    begin(json_, name)
    output.emit(provider().session_list(name), render)
