"""Each dashboard screen compared with its stored screenshot (pytest-textual-snapshot).

The data is fixed (tests/tui/recorded.py says why); a changed layout fails here
with a side-by-side report. After an intended change:
``pytest tests/tui/test_dashboard_snapshots.py --snapshot-update``, then look at
the new SVGs in tests/tui/__snapshots__/ before committing them.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from nexus_cli.tui.app import Dashboard
from tests.tui.recorded import NOW, Recorded

SIZE = (120, 40)
Compare = Callable[..., bool]


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Log lines show local time: the stored screenshots were taken in UTC."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def dashboard(readonly: bool = False) -> Dashboard:
    return Dashboard(Recorded(), interval=3600, readonly=readonly, clock=lambda: NOW)


async def settled(pilot: Pilot[Any], passes: int) -> None:
    """Until the dashboard has drawn ``passes`` reads and no read is running."""
    app = pilot.app
    assert isinstance(app, Dashboard)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        busy = any(w.is_running for w in app.workers)
        if app.loads >= passes and not busy:
            await pilot.pause()
            return
        await pilot.pause(0.05)
    raise AssertionError(f"the dashboard drew {app.loads} of {passes} reads")


def after(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """Wait for the first read, press ``keys``, wait for the read they cause (if any)."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settled(pilot, 1)
        app = pilot.app
        assert isinstance(app, Dashboard)
        before = app.loads
        await pilot.press(*keys)
        await pilot.pause()
        changed = any(w.is_running for w in app.workers) or app.loads > before
        await settled(pilot, before + 1 if changed else before)
        for field in app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor would be caught on or off
        await pilot.pause()

    return run_before


def test_agents_and_the_agent_view(snap_compare: Compare) -> None:
    assert snap_compare(dashboard(), terminal_size=SIZE, run_before=after())


def test_second_row_selected(snap_compare: Compare) -> None:
    assert snap_compare(dashboard(), terminal_size=SIZE, run_before=after("down"))


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("logs", ("2",)),
        ("logs_errors_only", ("2", "v", "v", "v")),
        ("logs_searched", ("2", "slash", *"order", "enter")),
        ("tasks", ("3",)),
        ("traces", ("4",)),
        ("memory", ("5",)),
        ("agents_filtered", ("slash", *"summ", "enter")),
    ],
)
def test_tabs(snap_compare: Compare, name: str, keys: tuple[str, ...]) -> None:
    assert snap_compare(dashboard(), terminal_size=SIZE, run_before=after(*keys))


@pytest.mark.parametrize(
    ("name", "key"),
    [("help", "question_mark"), ("scale", "s"), ("rollback", "b"), ("delete", "D")],
)
def test_dialogs(snap_compare: Compare, name: str, key: str) -> None:
    assert snap_compare(dashboard(), terminal_size=SIZE, run_before=after(key))


def test_readonly(snap_compare: Compare) -> None:
    assert snap_compare(dashboard(readonly=True), terminal_size=SIZE, run_before=after())
