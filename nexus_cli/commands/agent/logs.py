"""``nexus ai agent logs NAME``: what the agent's replicas wrote."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nexus_cli import completion
from nexus_cli.commands._options import AgentArg, EnvOpt, JsonOpt

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# ANSI styles per level when stdout is a terminal (and NO_COLOR is not set)
_STYLE = {"debug": "2", "info": "36", "warning": "33", "error": "31", "critical": "1;31"}


def parse_since(value: str) -> float:
    """``90s``, ``15m``, ``1h``, ``2d`` -> seconds."""
    from nexus_cli.errors import UsageError

    number, unit = value[:-1], value[-1:].lower()
    if unit not in _UNITS or not number.replace(".", "", 1).isdigit():
        raise UsageError(f"--since {value!r} is not a duration", hint="use e.g. 30s, 15m, 1h or 2d")
    return float(number) * _UNITS[unit]


def line(rec: dict[str, Any], colour: bool = False) -> str:
    import time

    when = time.strftime("%H:%M:%S", time.localtime(rec["time"])) if rec.get("time") else "--:--:--"
    extra = "".join(
        f" {key}={rec[key]}" for key in ("request_id", "status", "latency_ms") if key in rec
    )
    name = str(rec.get("level", "info")).lower()
    level = f"{name.upper():<7}"
    if colour and name in _STYLE:
        level = f"\x1b[{_STYLE[name]}m{level}\x1b[0m"
    logger = rec.get("logger")
    source = f"{logger}: " if logger and logger not in ("stdout", "nexus.agents") else ""
    text = f"{when} {rec.get('replica', '?'):<12} {level} {source}{rec.get('msg', '')}{extra}"
    if rec.get("error"):
        text += f"\n    {rec['error']}"
    if rec.get("traceback"):
        text += "".join(f"\n    {tb}" for tb in str(rec["traceback"]).splitlines())
    return text


def _colour() -> bool:
    import os
    import sys

    from nexus_cli.output import is_terminal

    return (
        is_terminal(sys.stdout)
        and not os.environ.get("NO_COLOR")
        and os.environ.get("TERM", "") != "dumb"
    )


def logs(
    name: AgentArg,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow", "-f", help="Keep printing new lines; reconnects if the stream drops."
        ),
    ] = False,
    level: Annotated[
        str,
        typer.Option("--level", help="Lowest level shown: debug, info, warning, error, critical."),
    ] = "debug",
    since: Annotated[
        str | None, typer.Option("--since", help="Only records newer than this, e.g. 1h, 15m.")
    ] = None,
    lines: Annotated[
        int,
        typer.Option("--lines", "-n", help="Last records per replica, after filtering.", min=0),
    ] = 100,
    grep: Annotated[
        str | None,
        typer.Option("--grep", help="Only records whose message or traceback has TEXT (any case)."),
    ] = None,
    replica: Annotated[
        str | None, typer.Option("--replica", help="Only the replica whose id starts with this.")
    ] = None,
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            help="Only replicas serving this version (1.2.3 or r3).",
            autocompletion=completion.versions,
        ),
    ] = None,
    request: Annotated[
        str | None, typer.Option("--request", help="Only the records of this request id.")
    ] = None,
    env: EnvOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show the log records of the agent's replicas; JSON lines under --json.

    Levels are the ones the agent's code gave (Python's logging, print at info,
    stderr at error); filters apply before the last --lines are taken.
    """
    import time

    from nexus_api.logs import LEVELS, Filter
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider
    from nexus_cli.errors import UsageError
    from nexus_cli.providers.base import LogQuery

    begin(json_, name, env)
    if level.lower() not in LEVELS:
        raise UsageError(f"unknown level {level!r}", hint="use " + ", ".join(LEVELS))
    for option, value in (("--grep", grep), ("--replica", replica), ("--request", request)):
        if value is not None and not value.strip():
            raise UsageError(f"{option} needs a non-empty value", hint=None)
    query = LogQuery(
        env=env,
        tail=lines,
        level=level.lower(),
        since=time.time() - parse_since(since) if since else None,
        follow=follow,
        grep=grep,
        replica=replica,
        version=version,
        request=request,
    )
    # the same filter again on what comes back: a provider that ignores a field of the
    # query (--grep, --request on a remote platform) still shows only matching records
    kept = Filter.of(query.level, query.since, grep=grep, request=request)
    colour = _colour()
    found = (rec for rec in provider(env).logs(name, query) if kept.keep(rec))
    output.records(found, lambda rec: line(rec, colour))
