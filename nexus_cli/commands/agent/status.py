"""``nexus ai agent status NAME``: what serves in each environment, and its health."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from nexus_cli.commands._options import EnvOpt, JsonOpt

if TYPE_CHECKING:
    from nexus_api.models import AgentStatus


def _render(status: AgentStatus, env_name: str | None = None) -> list[Any]:
    from rich.table import Table
    from rich.text import Text

    from nexus_cli.commands.agent._common import ago, runtime_line

    parts: list[Any] = []
    if not status.environments:
        where = env_name or "any environment"
        return [f"{status.name} is not deployed to {where}."]
    for env in status.environments:
        healthy = sum(1 for r in env.replicas if r.state == "healthy")
        title = Text(f"{status.name} · {env.env}", style="bold")
        parts.append(title)
        res = env.resources
        rows = [
            (
                "version",
                f"{env.version or '-'} (revision {env.revision})"
                if env.revision is not None
                else "-",
            ),
            (
                "replicas",
                f"{healthy}/{env.replicas_desired} healthy"
                + (", autoscale on" if env.autoscale else ""),
            ),
            ("endpoint", env.endpoint or "-"),
            ("resources", f"cpu {res.cpu or 'default'}, memory {res.memory or 'default'}"),
            ("runtime", runtime_line(env.runtime, env.isolation)),
            ("updated", ago(env.updated_at)),
        ]
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        for key, value in rows:
            grid.add_row(key, value)
        parts.append(grid)
        if env.replicas:
            table = Table(box=None, pad_edge=False, header_style="bold")
            for col in ("REPLICA", "STATE", "VERSION", "ENDPOINT", "STARTED"):
                table.add_column(col, no_wrap=True)
            for r in env.replicas:
                style = "green" if r.state == "healthy" else "yellow"
                table.add_row(
                    r.id[:12] if len(r.id) == 64 else r.id,
                    Text(r.state, style=style),
                    r.version or "-",
                    r.endpoint or "-",
                    ago(r.started_at),
                )
            parts.append(table)
        parts.append("")
    return parts[:-1]


def status(
    name: Annotated[str, typer.Argument(help="Agent name.")],
    env: EnvOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show the version, replicas, endpoint and resources of each environment."""
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider

    begin(json_, name, env)
    output.emit(provider().status(name, env), lambda st: _render(st, env))
