"""The dashboard, driven with Textual's pilot against a real emulator."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from nexus_local.provider import LocalProvider

from nexus_cli.commands.agent.deploy import request

ROOT = Path(__file__).resolve().parents[2]


def test_dashboard_shows_agents_replicas_and_logs(provider: LocalProvider, tmp_path: Path) -> None:
    from textual.widgets import DataTable, Log, Static

    from nexus_cli.tui.app import Dashboard

    shutil.copytree(ROOT / "examples" / "hello", tmp_path / "hello")
    provider.deploy(request(tmp_path / "hello", "staging", replicas=2), print)
    provider.run("hello", "hi there", {"user_id": "7"}, "staging")

    async def scenario() -> tuple[list[str], str, list[str], bool]:
        app = Dashboard(provider, interval=0.5)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(50):
                await pilot.pause(0.1)
                if "healthy" in str(app.query_one("#status", Static).render()):
                    break
            table = app.query_one("#agents", DataTable)
            rows = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
            status = str(app.query_one("#status", Static).render())
            logs = list(app.query_one("#logs", Log).lines)
            await pilot.press("l")
            hidden = not app.query_one("#logs", Log).display
            await pilot.press("q")
        return rows, status, logs, hidden

    rows, status, logs, hidden = asyncio.run(scenario())
    assert rows == ["hello"]
    assert "staging" in status
    assert "2/2 healthy" in status
    assert "1.0.0" in status
    assert any("POST /invocations 200" in line for line in logs)
    assert hidden


def test_dashboard_needs_a_terminal() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [str(Path(sys.executable).parent / "nexus"), "ai", "dashboard"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )
    assert done.returncode == 2
    assert "the dashboard needs a terminal" in done.stderr
