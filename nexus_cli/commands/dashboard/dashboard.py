"""``nexus ai dashboard``: a live terminal view of agents, replicas and logs."""

from __future__ import annotations

from typing import Annotated

import typer


def dashboard(
    interval: Annotated[
        float, typer.Option("--interval", help="Seconds between refreshes.", min=0.5)
    ] = 2.0,
    readonly: Annotated[
        bool, typer.Option("--readonly", help="Look only: scale, rollback, restart, delete off.")
    ] = False,
) -> None:
    """Open the terminal dashboard: agents per environment with their load, and the
    selected agent's replicas, logs, tasks, traces and memory. ? lists the keys."""
    import sys

    from nexus_cli.context import provider
    from nexus_cli.errors import UsageError

    if not sys.stdout.isatty():
        raise UsageError(
            "the dashboard needs a terminal", hint="nexus ai agent list --json  # for scripts"
        )
    chosen = provider()
    problem = chosen.not_running()
    if problem is not None:
        raise problem
    import gc

    from nexus_cli.tui.data import start_listing

    # No garbage collection until the dashboard is up (it turns it back on): importing
    # Textual and building the screen make many objects and free few; the collector's
    # passes over them cost about a tenth of the first paint.
    gc.disable()
    listed = start_listing(chosen)  # read while Textual is imported
    from nexus_cli.tui.app import Dashboard

    Dashboard(chosen, interval, readonly=readonly, listed=listed).run()
