"""``nexus ai agent logs NAME``: what the agent's replicas wrote."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nexus_cli.commands._options import EnvOpt, JsonOpt

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(value: str) -> float:
    """``90s``, ``15m``, ``1h``, ``2d`` -> seconds."""
    from nexus_cli.errors import UsageError

    number, unit = value[:-1], value[-1:].lower()
    if unit not in _UNITS or not number.replace(".", "", 1).isdigit():
        raise UsageError(f"--since {value!r} is not a duration", hint="use e.g. 30s, 15m, 1h or 2d")
    return float(number) * _UNITS[unit]


def line(rec: dict[str, Any]) -> str:
    import time

    when = time.strftime("%H:%M:%S", time.localtime(rec["time"])) if rec.get("time") else "--:--:--"
    extra = "".join(
        f" {key}={rec[key]}" for key in ("request_id", "status", "latency_ms") if key in rec
    )
    level = str(rec.get("level", "info")).upper()
    text = f"{when} {rec.get('replica', '?'):<12} {level:<7} {rec.get('msg', '')}{extra}"
    if rec.get("error"):
        text += f"\n    {rec['error']}"
    if rec.get("traceback"):
        text += "".join(f"\n    {tb}" for tb in str(rec["traceback"]).splitlines())
    return text


def logs(
    name: Annotated[str, typer.Argument(help="Agent name.")],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines (Ctrl-C stops).")
    ] = False,
    level: Annotated[
        str, typer.Option("--level", help="Lowest level shown: debug, info, warning, error.")
    ] = "debug",
    since: Annotated[
        str | None, typer.Option("--since", help="Only records newer than this, e.g. 1h, 15m.")
    ] = None,
    lines: Annotated[int, typer.Option("--lines", "-n", help="Lines per replica.", min=0)] = 100,
    env: EnvOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show the log records of the agent's replicas; JSON lines under --json."""
    import time

    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider
    from nexus_cli.errors import UsageError
    from nexus_cli.providers.base import LogQuery

    begin(json_, name, env)
    if level.lower() not in ("debug", "info", "warning", "error", "critical"):
        raise UsageError(f"unknown level {level!r}", hint="use debug, info, warning or error")
    query = LogQuery(
        env=env,
        tail=lines,
        level=level.lower(),
        since=time.time() - parse_since(since) if since else None,
        follow=follow,
    )
    output.records(provider().logs(name, query), line)
