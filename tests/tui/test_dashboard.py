"""The dashboard, driven with Textual's pilot against a real emulator (process runtime):
what it shows (rows per environment, the agent view, logs filtered and searched, tasks,
traces as a span tree, memory), and its actions (scale, restart, roll back, cancel a
task, delete), each confirmed first and refused under --readonly."""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from nexus_local.provider import LocalProvider
from textual.css.query import NoMatches
from textual.pilot import Pilot
from textual.widgets import DataTable, RichLog, Static, Tree

from nexus_api.models import AgentStatus
from nexus_cli.commands.agent.deploy import request
from nexus_cli.tui.app import Dashboard
from nexus_cli.tui.data import start_listing

ROOT = Path(__file__).resolve().parents[2]
AGENT = """import asyncio
import logging

from nexus.ai.agents import Agent

log = logging.getLogger("dash")


class Dash(Agent):
    async def process(self, input):
        if input == "slow":
            await asyncio.sleep(120)
        if input == "fail":
            log.error("kaboom in the %s", "engine")
        log.info("handled %s", input)
        await self.memory.add_turns([("user", input), ("assistant", "ok")])
        await self.memory.put(f"/users/{self.context.user_id}/facts", f"likes {input}")
        return f"ok {input}"
"""


def project(tmp_path: Path, version: str) -> Path:
    root = tmp_path / f"dash-{version}"
    shutil.copytree(ROOT / "examples" / "hello", root)
    (root / "agent.py").write_text(AGENT)
    toml = (root / "nexus.toml").read_text()
    toml = toml.replace('name = "hello"', 'name = "dash"').replace('"1.0.0"', f'"{version}"')
    toml = toml.replace("agent:HelloAgent", "agent:Dash")
    (root / "nexus.toml").write_text(toml)
    return root


async def until(
    pilot: Pilot[None], check: Callable[[], bool], what: str, limit: float = 60
) -> None:
    """Wait (refreshes keep coming) until ``check()`` holds; fail naming ``what``. The tabs
    are mounted after the first frame: a widget not there yet is not shown yet."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except NoMatches:
            pass
        await pilot.pause(0.1)
    notes = [n.message for n in pilot.app._notifications]
    raise AssertionError(f"the dashboard never showed {what}; its notifications: {notes}")


def cells(app: Dashboard, table: str) -> list[list[str]]:
    t = app.query_one(f"#{table}", DataTable)
    return [[str(c) for c in t.get_row_at(i)] for i in range(t.row_count)]


def text(app: Dashboard, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def logs(app: Dashboard) -> list[str]:
    return [strip.text for strip in app.query_one("#logs", RichLog).lines]


def test_dashboard_shows_agents_logs_tasks_traces_and_memory(
    provider: LocalProvider, tmp_path: Path
) -> None:
    provider.deploy(request(project(tmp_path, "1.0.0"), "staging", replicas=2), print)
    provider.secret_set("dash", "API_KEY", "s3cr3t-value", None)
    for word in ("tea", "fail"):
        provider.run("dash", word, {"user_id": "ann", "session_id": "s1"}, "staging")
    task = provider.submit("dash", "tea", {"user_id": "ann"}, "staging", None)

    async def scenario() -> None:
        app = Dashboard(provider, interval=0.5)
        async with app.run_test(size=(140, 44)) as pilot:
            await until(pilot, lambda: "2/2 healthy" in text(app, "#status"), "2/2 healthy")
            assert cells(app, "agents")[0][:4] == ["dash", "staging", "1.0.0", "2/2"]
            view = text(app, "#status")
            assert "API_KEY (*)" in view
            assert "s3cr3t-value" not in view

            await pilot.press("2")  # logs: every level, then error and above, then a search
            await until(pilot, lambda: any("handled tea" in x for x in logs(app)), "info logs")
            await until(pilot, lambda: any("kaboom" in x for x in logs(app)), "the error")
            for _ in range(3):
                await pilot.press("v")  # debug -> info -> warning -> error
            assert app.logs.level == "error"
            await until(pilot, lambda: not any("handled" in x for x in logs(app)), "errors only")
            assert any("ERROR" in x and "kaboom in the engine" in x for x in logs(app))
            await pilot.press("v")  # back to debug
            await pilot.press("slash")
            await pilot.press(*"TEA")
            await until(
                pilot,
                lambda: len(logs(app)) > 0 and all("tea" in x.lower() for x in logs(app)),
                "the search's lines",
            )
            await pilot.press("escape")

            await pilot.press("3")
            await until(
                pilot, lambda: any(r[1] == "succeeded" for r in cells(app, "tasks")), "the task"
            )
            assert cells(app, "tasks")[0][0] == task.task_id[:18]
            assert "100%" in cells(app, "tasks")[0][2]

            await pilot.press("4")
            await until(pilot, lambda: cells(app, "traces") != [], "traces")
            tree = app.query_one("#spans", Tree)
            await until(pilot, lambda: len(tree.root.children) > 0, "a span tree")
            names = [str(n.label) for n in tree.root.children]
            assert any("ms" in name for name in names), names

            await pilot.press("5")
            await until(pilot, lambda: cells(app, "sessions") != [], "memory sessions")
            assert ["ann", "s1"] in [row[:2] for row in cells(app, "sessions")]
            await until(
                pilot,
                lambda: any("likes fail" in r[1] for r in cells(app, "records")),
                "memory records",
            )

            await pilot.press("1", "slash", *"zzz")  # the agent filter hides what does not match
            await until(pilot, lambda: cells(app, "agents") == [], "an empty filter")
            await pilot.press("escape", "q")

    asyncio.run(scenario())


def test_the_first_frame_has_the_listed_rows_before_any_status(
    provider: LocalProvider, tmp_path: Path
) -> None:
    """The command's agent list (read while Textual is imported) is in the table from
    the first frame, replicas and load still to come ("…"); they follow once statuses
    answer, which this provider holds back until the rows have been seen."""
    provider.deploy(request(project(tmp_path, "1.0.0"), "staging"), print)
    answer = threading.Event()

    class Held(LocalProvider):
        def status(self, name: str, env: str | None) -> AgentStatus:
            answer.wait(60)
            return super().status(name, env)

    held = Held()
    listed = start_listing(held)
    listed.result(timeout=30)

    async def scenario() -> None:
        app = Dashboard(held, interval=3600, listed=listed)
        async with app.run_test(size=(140, 44)) as pilot:
            assert cells(app, "agents") == [["dash", "staging", "1.0.0", *["…"] * 6]]
            assert app.sub_title == "1 agent(s)"
            answer.set()
            await until(pilot, lambda: cells(app, "agents")[0][3] == "1/1", "the replicas")

    try:
        asyncio.run(scenario())
    finally:
        answer.set()


def test_dashboard_actions_ask_first_and_act(provider: LocalProvider, tmp_path: Path) -> None:
    provider.deploy(request(project(tmp_path, "1.0.0"), "staging"), print)
    provider.deploy(request(project(tmp_path, "2.0.0"), "staging"), print)
    slow = provider.submit("dash", "slow", {}, "staging", None)

    def replicas() -> list[str]:
        return [r.id for r in provider.status("dash", "staging").environments[0].replicas]

    async def scenario() -> None:
        app = Dashboard(provider, interval=0.5)
        async with app.run_test(size=(140, 44)) as pilot:
            await until(pilot, lambda: cells(app, "agents") != [], "the agent")
            await pilot.press("s")  # scale: the dialog asks, Escape changes nothing
            await pilot.press("escape")
            await pilot.press("s", "backspace", "2", "enter")
            await until(pilot, lambda: cells(app, "agents")[0][3] == "2/2", "2 replicas", 120)

            before = set(replicas())
            await pilot.press("R", "n")  # restart, answered no
            await pilot.pause(0.5)
            assert set(replicas()) == before
            await pilot.press("R", "y")
            await until(
                pilot,
                lambda: len(replicas()) == 2 and not set(replicas()) & before,
                "new replicas",
                120,
            )

            await pilot.press("b")  # roll back: the dialog offers 1.0.0 only
            await pilot.press("enter")
            await until(pilot, lambda: cells(app, "agents")[0][2] == "1.0.0", "1.0.0", 120)

            await pilot.press("3")
            await until(
                pilot,
                lambda: any(r[1] == "running" for r in cells(app, "tasks")),
                "the running task",
            )
            app.query_one("#tasks", DataTable).focus()
            await pilot.press("c", "y")
            await until(
                pilot,
                lambda: provider.task(slow.task_id).status == "cancelled",
                "the cancelled task",
            )

            app.query_one("#agents", DataTable).focus()
            await pilot.press("D", "y")
            await until(pilot, lambda: provider.list_agents() == [], "the agent deleted", 120)
            await until(pilot, lambda: "No agents yet" in text(app, "#status"), "no agents")
            await pilot.press("q")

    asyncio.run(scenario())


def test_readonly_dashboard_refuses_actions(provider: LocalProvider, tmp_path: Path) -> None:
    provider.deploy(request(project(tmp_path, "1.0.0"), "development"), print)

    async def scenario() -> None:
        app = Dashboard(provider, interval=0.5, readonly=True)
        async with app.run_test(size=(140, 44)) as pilot:
            await until(pilot, lambda: cells(app, "agents") != [], "the agent")
            for key in ("s", "R", "D", "b"):
                await pilot.press(key)
                assert app.screen is app.screen_stack[0], f"{key} opened a dialog"
            notes = [n.message for n in app._notifications]
            assert any("read-only" in n for n in notes), notes
            assert "read-only" in app.sub_title
            await pilot.press("q")

    asyncio.run(scenario())
    assert provider.status("dash", "development").environments[0].replicas_desired == 1


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


def test_dashboard_without_an_emulator_says_how_to_start_one(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_")}
    env |= {"NEXUS_HOME": str(home), "NEXUS_EMULATOR_PORT": "1", "NO_COLOR": "1"}
    main, terminal = pty.openpty()  # a terminal, so it gets past the terminal check
    try:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "nexus"), "ai", "dashboard"],
            stdout=terminal,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
            text=True,
            timeout=60,
        )
    finally:
        os.close(terminal)
        os.close(main)
    assert done.returncode != 0
    assert "the local emulator is not running" in done.stderr
    assert "nexus ai emulator start" in done.stderr
    assert not (home / "emulator.json").exists()  # and it started none
