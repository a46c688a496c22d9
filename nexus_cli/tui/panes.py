"""Filling the dashboard's tables and trees from a fetched :class:`~nexus_cli.tui.data.Detail`.

Tables are refilled in place: when the same rows come back (the usual case on a
refresh) only the cells that changed are updated, so the cursor and the scroll
position stay where the user left them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable

from nexus_cli.tui.render import age, progress, span_children, span_label

if TYPE_CHECKING:
    from textual.widgets import Tree
    from textual.widgets.tree import TreeNode

    from nexus_api.memory import Record, SessionInfo
    from nexus_api.models import SpanInfo, Task, Trace, TraceSummary

Cells = tuple[str, ...]
AGENT_COLUMNS = ("AGENT", "ENV", "VERSION", "REPLICAS", "REQ/S", "P95", "ERRORS", "TOKENS", "QUEUE")
DETAIL_COLUMNS = {  # the tables of the tabs, by id
    "tasks": ("TASK", "STATUS", "PROGRESS", "ATTEMPT", "ENV", "AGE", "ERROR"),
    "traces": ("TRACE", "NAME", "DURATION", "STATUS", "SPANS", "AGE"),
    "sessions": ("ACTOR", "SESSION", "EVENTS", "LAST"),
    "records": ("NAMESPACE", "TEXT", "AGE"),
}


def refill(table: DataTable[str], rows: Sequence[tuple[str, Cells]]) -> None:
    """Show ``rows`` (key, cells) in ``table``, keeping the cursor on the same key."""
    keys = [str(k.value) for k in table.rows]
    _fit(table, rows)
    if keys == [key for key, _ in rows]:
        columns = list(table.columns)
        for key, cells in rows:
            for column, value in zip(columns, cells, strict=True):
                if table.get_cell(key, column) != value:
                    table.update_cell(key, column, value, update_width=True)
        return
    current = keys[table.cursor_row] if 0 <= table.cursor_row < len(keys) else None
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    if current is not None and current in [key for key, _ in rows]:
        table.move_cursor(row=table.get_row_index(current))


def _fit(table: DataTable[str], rows: Sequence[tuple[str, Cells]]) -> None:
    """Widen each column for its widest new value before the cells change. Textual widens
    a column for changed cells on the table's next idle, but keeps the lines it drew in
    between, cut at the old width, until a cell changes again (a refresh with the same
    values would leave a p95 cut off)."""
    by_column = zip(*(cells for _, cells in rows), strict=True)
    for column, values in zip(table.columns.values(), by_column, strict=False):
        widest = max(Text.from_markup(v).cell_len for v in values)
        column.content_width = max(column.content_width, widest)


def columns(table: DataTable[str], *names: str) -> None:
    for name in names:
        table.add_column(name, key=name.lower())


def selected_key(table: DataTable[str]) -> str | None:
    if table.row_count == 0 or not 0 <= table.cursor_row < table.row_count:
        return None
    key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    return str(key) if key is not None else None


def task_rows(tasks: list[Task], now: float) -> list[tuple[str, Cells]]:
    return [
        (
            t.task_id,
            (
                t.task_id[:18],
                t.status,
                progress(t.progress),
                str(t.attempt),
                t.env or "-",
                age(now - t.created_at) if t.created_at else "-",
                (t.error or "")[:40],
            ),
        )
        for t in tasks
    ]


def trace_rows(traces: list[TraceSummary], now: float) -> list[tuple[str, Cells]]:
    return [
        (
            t.trace_id,
            (
                t.trace_id[:16],
                t.name,
                f"{t.duration_ms:.1f} ms",
                t.status,
                str(t.spans),
                age(now - t.start),
            ),
        )
        for t in traces
    ]


def session_rows(sessions: list[SessionInfo], now: float) -> list[tuple[str, Cells]]:
    return [
        (
            f"{s.actor}/{s.session}",
            (s.actor, s.session, str(s.events), age(now - s.last_at)),
        )
        for s in sessions
    ]


def record_rows(records: list[Record], now: float) -> list[tuple[str, Cells]]:
    return [(r.id, (r.namespace, r.text[:60], age(now - r.updated_at))) for r in records]


def draw_trace(tree: Tree[str], trace: Trace | None) -> None:
    """The trace's span tree (drawn again only when another trace or more spans come)."""
    shape = None if trace is None else (trace.trace_id, len(trace.spans))
    if getattr(tree, "shape", None) == shape:
        return
    tree.shape = shape  # type: ignore[attr-defined]
    tree.clear()
    if trace is None:
        tree.root.set_label("no trace selected")
        return
    tree.root.set_label(f"trace {trace.trace_id[:16]}")
    children = span_children(trace)

    def add(node: TreeNode[str], spans: list[SpanInfo]) -> None:
        for span in spans:
            below = children.get(span.span_id, [])
            if below:
                add(node.add(span_label(span), data=span.span_id, expand=True), below)
            else:
                node.add_leaf(span_label(span), data=span.span_id)

    add(tree.root, children.get(None, []))
    tree.root.expand()
