"""``nexus ai gateway quota set NAME``: change an agent's limits at the gateway."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nexus_cli.commands._options import JsonOpt
from nexus_cli.commands.gateway.quota._common import EnvOpt, LimitOpt, NameArg


def set_quota(
    name: NameArg,
    rpm: LimitOpt = None,
    tpm: LimitOpt = None,
    daily_tokens: LimitOpt = None,
    monthly_tokens: LimitOpt = None,
    concurrency: LimitOpt = None,
    log_content: Annotated[
        bool | None,
        typer.Option("--log-content/--no-log-content", help="Keep prompts in the audit."),
    ] = None,
    env: EnvOpt = "development",
    json_: JsonOpt = False,
) -> None:
    """Change an agent's limits (those not given stay as they are)."""
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.commands.gateway.quota._common import limit, render
    from nexus_cli.context import provider
    from nexus_cli.errors import UsageError

    begin(json_, name, env)
    given = {
        "requests_per_minute": ("--rpm", rpm),
        "tokens_per_minute": ("--tpm", tpm),
        "tokens_per_day": ("--daily-tokens", daily_tokens),
        "tokens_per_month": ("--monthly-tokens", monthly_tokens),
        "concurrency": ("--concurrency", concurrency),
    }
    change: dict[str, Any] = {
        field: limit(option, value) for field, (option, value) in given.items() if value is not None
    }
    if log_content is not None:
        change["log_content"] = log_content
    if not change:
        raise UsageError(
            "nothing to change", hint=f"nexus ai gateway quota set {name} --rpm 60 --tpm 100000"
        )
    output.emit(provider().gateway_quota(name, env, change), render)
