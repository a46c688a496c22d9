"""``nexus ai agent traces NAME``: the latest traces, or one trace's spans (--trace)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from nexus_cli.commands._options import AgentArg, JsonOpt

if TYPE_CHECKING:
    from nexus_api.models import Trace, TraceSummary


def _list(traces: list[TraceSummary]) -> Any:
    from rich.table import Table

    from nexus_cli.commands._cells import ago

    if not traces:
        return "No traces yet: every run, stream and task records one."
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("TRACE", "NAME", "STATUS", "DURATION", "SPANS", "WHEN"):
        table.add_column(column)
    for t in traces:
        table.add_row(
            t.trace_id, t.name, t.status, f"{t.duration_ms:.1f} ms", str(t.spans), ago(t.start)
        )
    return table


def _tree(trace: Trace) -> str:
    children: dict[str | None, list[Any]] = {}
    ids = {s.span_id for s in trace.spans}
    for s in trace.spans:
        children.setdefault(s.parent_id if s.parent_id in ids else None, []).append(s)
    lines = [f"trace {trace.trace_id}"]

    def walk(parent: str | None, depth: int) -> None:
        for s in children.get(parent, []):
            attrs = " ".join(f"{k}={v}" for k, v in s.attributes.items())
            lines.append(
                f"{'  ' * depth}{s.name}  {s.duration_ms:.2f} ms  {s.status}  {attrs}".rstrip()
            )
            walk(s.span_id, depth + 1)

    walk(None, 1)
    return "\n".join(lines)


def traces(
    name: AgentArg,
    trace: Annotated[
        str | None, typer.Option("--trace", "-t", help="Show this trace's spans as a tree.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many traces.", min=1)] = 20,
    json_: JsonOpt = False,
) -> None:
    """List the agent's latest traces (runs, streams, tasks), or one trace's spans."""
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider

    begin(json_, name)
    if trace is not None:
        output.emit(provider().trace(trace), _tree)
        return
    output.emit(provider().traces(name, limit), _list)
