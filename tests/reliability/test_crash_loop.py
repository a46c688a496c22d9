"""A replica that keeps dying is restarted with backoff, and status says it is crash-looping
with the last lines it logged."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from nexus_cli.commands.agent.status import render
from tests.emulator.conftest import Emu, write_agent

DYING = """
import os
import threading


def _die():
    print("out of luck: exiting now", flush=True)
    os._exit(3)


threading.Timer(1.0, _die).start()
"""


def test_crash_loop_backs_off_and_is_shown(quick: Emu, tmp_path: Path) -> None:
    emu = quick
    events = emu.deploy("echo", write_agent(tmp_path / "echo", extra=DYING))
    assert events[-1]["event"] == "result", events
    loop: dict[str, Any] | None = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and loop is None:
        status = emu.client.get("/v1/agents/echo").json()
        loop = status["environments"][0]["crash_loop"]
        time.sleep(0.2)
    assert loop is not None, status
    assert loop["restarts"] >= 3
    assert 0 < loop["next_restart_in_s"] <= 300
    assert any("out of luck: exiting now" in line for line in loop["last_log"]), loop

    text = "\n".join(render(status))
    assert "crash-looping: " in text
    assert "out of luck: exiting now" in text

    # backoff: the replacements slow down (2 s, 4 s, …) instead of one per health check
    time.sleep(4)
    later = emu.client.get("/v1/agents/echo").json()["environments"][0]["crash_loop"]
    assert later["restarts"] <= loop["restarts"] + 2, (loop, later)
    log = (emu.home / "test-emulator.log").read_text()
    assert "echo/development is crash-looping" in log
