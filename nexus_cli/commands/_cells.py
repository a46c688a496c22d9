"""Table cells several verbs print the same way (plugins' verbs too, through nexus_cli.plugin)."""

from __future__ import annotations

import time


def ago(at: float | None) -> str:
    if not at:
        return "-"
    seconds = max(0, int(time.time() - at))
    if seconds < 60:
        return f"{seconds}s ago"
    if seconds < 3600:
        return f"{seconds // 60}m ago"
    if seconds < 86400:
        return f"{seconds // 3600}h ago"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at))


def short_digest(digest: str | None) -> str:
    if not digest:
        return "-"
    return digest.split(":", 1)[-1][:12]


def runtime_line(runtime: str | None, isolation: str | None) -> str:
    """``docker: <what it isolates>``, without repeating the runtime name."""
    if not isolation:
        return runtime or "-"
    if runtime and not isolation.startswith(runtime):
        return f"{runtime}: {isolation}"
    return isolation
