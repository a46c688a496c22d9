"""Human view of the emulator status (shared by start and status)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nexus_local.models import EmulatorStatus


def render_status(st: EmulatorStatus) -> Any:
    from rich.table import Table

    from nexus_cli.plugin import ago, runtime_line

    if not st.running:
        return [
            f"The local emulator is not running (home {st.home}).",
            "Start it with: nexus ai emulator start",
        ]
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    rows = [
        ("state", "ready" if st.ready else "starting / not ready"),
        ("url", st.url or "-"),
        ("pid", str(st.pid)),
        ("runtime", runtime_line(st.runtime, st.isolation)),
        ("version", st.version or "-"),
        ("started", ago(st.started_at)),
        ("home", st.home),
        ("log", st.log),
    ]
    for key, value in rows:
        grid.add_row(key, value)
    return grid
