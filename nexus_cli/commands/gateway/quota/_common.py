"""What ``quota set`` and ``quota show`` share: options and the table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from nexus_api.gateway import QuotaInfo

NameArg = Annotated[str, typer.Argument(help="Agent name.")]
EnvOpt = Annotated[
    str, typer.Option("--env", "-e", help="Environment: development, staging or production.")
]
LimitOpt = Annotated[str | None, typer.Option(help="A positive whole number, or 'none'.")]


def render(info: QuotaInfo) -> str:
    from nexus_cli.output import columns

    q = info.quota
    rows: list[tuple[str, int | None]] = [
        ("requests/min", q.requests_per_minute),
        ("tokens/min", q.tokens_per_minute),
        ("tokens/day", q.tokens_per_day),
        ("tokens/month", q.tokens_per_month),
        ("concurrency", q.concurrency),
    ]
    shown = [[k, "no limit" if v is None else str(v)] for k, v in rows]
    shown.append(["log content", "on" if q.log_content else "off"])
    return f"{info.agent} ({info.env})\n" + columns(shown, ["LIMIT", "VALUE"])


def limit(option: str, value: str | None) -> int | None:
    from nexus_cli.errors import UsageError

    assert value is not None
    if value.lower() == "none":
        return None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise UsageError(
            f"{option} {value!r} is not a positive whole number",
            hint=f"e.g. {option} 60, or {option} none to remove the limit",
        )
    return number
