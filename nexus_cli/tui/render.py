"""Text the dashboard draws: log lines, the agent view, task progress, a trace's span tree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from nexus_cli.tui.data import Detail, Row

if TYPE_CHECKING:
    from nexus_api.models import SpanInfo, Trace

LEVEL_STYLE = {"debug": "dim", "info": "green", "warning": "yellow", "error": "bold red"}
SPARK = "▁▂▃▄▅▆▇█"


def age(seconds: float) -> str:
    """A compact age: 42s, 3m, 5h, 2d."""
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def log_line(rec: dict[str, Any], search: str) -> Text:
    """One record as ``logs`` prints it, its level coloured and ``search`` highlighted."""
    from nexus_cli.commands.agent.logs import line

    text = Text(line(rec))
    level = str(rec.get("level", "info")).lower()
    start = 9 + max(12, len(str(rec.get("replica", "?")))) + 1  # "HH:MM:SS " + replica + " "
    text.stylize(LEVEL_STYLE.get(level, ""), start, start + len(level))
    if search:
        text.highlight_words([search], "black on yellow", case_sensitive=False)
    return text


def row_cells(row: Row) -> tuple[str, ...]:
    if not row.known:
        return (row.agent, row.env, row.version, *("…" for _ in range(6)))
    rps = "-" if row.rps is None else f"{row.rps:.1f}"
    p95 = "-" if row.p95_ms is None else f"{row.p95_ms:.1f} ms"
    return (
        row.agent,
        row.env,
        row.version,
        f"{row.healthy}/{row.desired}",
        rps,
        p95,
        f"{row.error_rate * 100:.1f}%",
        str(row.tokens),
        str(row.queue),
    )


def sparkline(values: list[float], width: int = 30) -> str:
    """Requests/s over the last refreshes, one block per refresh."""
    values = values[-width:]
    if not values:
        return ""
    top = max(values) or 1.0
    return "".join(SPARK[min(len(SPARK) - 1, int(v / top * (len(SPARK) - 1)))] for v in values)


def agent_view(d: Detail, now: float, rates: list[float]) -> str:
    """The selected agent: environments and replicas, secret names, recent events."""
    if d.status is None:
        return f"[b]{d.name}[/b]\n[red]{d.missing.get('status', 'no status')}[/red]"
    lines = [f"[b]{d.name}[/b]  provider {d.status.provider}"]
    for env in d.status.environments:
        healthy = sum(r.state == "healthy" for r in env.replicas)
        auto = ", autoscale on" if env.autoscale else ""
        lines.append(
            f"[b]{env.env}[/b]  {env.version} (r{env.revision})  "
            f"{healthy}/{env.replicas_desired} healthy{auto}  "
            f"cpu {env.resources.cpu}  memory {env.resources.memory}"
        )
        if env.crash_loop is not None:
            lines.append(f"    [red]crash-looping: {env.crash_loop.restarts} restarts[/red]")
        for r in env.replicas:
            up = f"up {age(now - r.started_at)}" if r.started_at else ""
            lines.append(f"    {r.id[:12]:<12}  {r.state:<9}  {r.endpoint or '':<22} {up}")
    if rates:
        lines.append(f"requests/s  {sparkline(rates)}  {rates[-1]:.1f}")
    names = sorted({f"{s.name} ({s.scope})" for s in d.secrets})
    lines.append("secrets  " + (", ".join(names) if names else "none"))
    if d.history is not None and d.history.events:
        lines.append("[b]recent events[/b]")
        for e in d.history.events[-5:][::-1]:
            by = f" by {e.by}" if e.by else ""
            lines.append(f"    {age(now - e.at):>4} ago  {e.env:<11} {e.action} {e.label}{by}")
    return "\n".join(lines)


def progress(value: int, width: int = 10) -> str:
    filled = max(0, min(width, round(value / 100 * width)))
    return "█" * filled + "░" * (width - filled) + f" {value:>3}%"


def span_label(span: SpanInfo) -> Text:
    style = "red" if span.status not in ("ok", "unset") else ""
    return Text.assemble(
        (span.name, "bold"), f"  {span.kind}  {span.duration_ms:.1f} ms  ", (span.status, style)
    )


def span_children(trace: Trace) -> dict[str | None, list[SpanInfo]]:
    """Spans by parent id, each list in start order; roots under ``None`` (also a span
    whose parent is not in the trace)."""
    ids = {s.span_id for s in trace.spans}
    children: dict[str | None, list[SpanInfo]] = {}
    for span in sorted(trace.spans, key=lambda s: s.start):
        parent = span.parent_id if span.parent_id in ids else None
        children.setdefault(parent, []).append(span)
    return children
