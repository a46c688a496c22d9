"""``nexus ai agent metrics NAME``: requests, errors, latency, tokens, queue per environment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nexus_cli.commands._options import AgentArg, EnvOpt, JsonOpt

if TYPE_CHECKING:
    from nexus_api.models import AgentMetrics


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def _render(metrics: AgentMetrics) -> Any:
    from rich.table import Table

    if not metrics.environments:
        return f"{metrics.name} has no metrics yet: it is not deployed."
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("ENV", "REQUESTS", "ERRORS", "P50", "P95", "TOKENS", "QUEUE"):
        table.add_column(column, justify="left" if column == "ENV" else "right")
    for env, m in metrics.environments.items():
        table.add_row(
            env,
            str(m.requests),
            f"{m.errors} ({m.error_rate:.0%})",
            _ms(m.latency_p50_ms),
            _ms(m.latency_p95_ms),
            str(m.tokens),
            str(m.queue_size),
        )
    return table


def metrics(
    name: AgentArg,
    env: EnvOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show requests, errors, latency (p50/p95), tokens and queued tasks since the start."""
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider

    begin(json_, name, env)
    result = provider().metrics(name)
    if env is not None:
        if env not in result.environments:
            from nexus_cli.commands.agent._common import not_deployed

            raise not_deployed(name, env, list(result.environments))
        result.environments = {k: v for k, v in result.environments.items() if k == env}
    output.emit(result, _render)
