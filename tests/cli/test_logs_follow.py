"""`logs --follow` across an emulator restart: every record once, none lost, no colour piped."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from nexus_emulator.identity.service import Identity
from nexus_local.admin import reset
from nexus_local.lifecycle import start, stop

from tests.cli.cli_support import NEXUS, Platform, make_project, nexus

AGENT = """\
import logging

from nexus.ai.agents import Agent

log = logging.getLogger("follow")


class Follow(Agent):
    async def process(self, input: str):
        log.warning("call %s", input)
        return input
"""


class Reader:
    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.records: list[dict[str, Any]] = []
        self.thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.records.append(json.loads(line))

    def calls(self) -> list[str]:
        return [r["msg"] for r in self.records if r["msg"].startswith("call ")]

    def wait_for(self, msg: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while msg not in self.calls():
            assert time.monotonic() < deadline, self.records
            time.sleep(0.1)


def test_follow_resumes_after_a_restart_without_duplicates_or_gaps(
    offline: Platform, tmp_path: Path
) -> None:
    em = offline.emulator
    start(em, runtime="process")
    follower = None
    try:
        root = make_project(tmp_path / "follow", "follow", offline.env)
        (root / "agent.py").write_text(AGENT)
        assert offline("ai", "agent", "deploy", cwd=root).code == 0
        assert offline("ai", "agent", "run", "follow", "one").code == 0
        status = json.loads(offline("--json", "ai", "agent", "status", "follow").stdout)
        [replica] = status["environments"][0]["replicas"]

        follower = subprocess.Popen(
            [NEXUS, "ai", "agent", "logs", "follow", "--follow", "--json", "--level", "warning"],
            env=offline.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        reader = Reader(follower)
        reader.wait_for("call one")
        assert offline("ai", "agent", "run", "follow", "two").code == 0
        reader.wait_for("call two")

        stop(em)  # the process runtime's replica keeps running
        # only the platform may call a replica: present what the emulator presents
        home = Path(offline.env["NEXUS_HOME"])
        secret = Identity(home, "", "").replica_secret("follow", "development", 1, 0)
        answer = httpx.post(
            f"{replica['endpoint']}/invocations",
            json={"input": "gap"},
            headers={"X-Nexus-Replica-Secret": secret},
        )
        assert answer.status_code == 200  # written while nobody could read it
        time.sleep(1.5)
        start(em, runtime="process")
        assert offline("ai", "agent", "run", "follow", "three").code == 0
        reader.wait_for("call three")
        time.sleep(1.0)  # a duplicate would arrive by now
        assert reader.calls() == ["call one", "call two", "call gap", "call three"]
        assert all(r["level"] == "warning" for r in reader.records)
    finally:
        if follower is not None:
            follower.terminate()
            _, err = follower.communicate(timeout=10)
            assert "reconnecting" in err
        reset(em, lambda _msg: None)
        stop(em)


def test_levels_are_coloured_only_on_a_terminal(platform: Platform, deployed: str) -> None:
    import os
    import pty

    env = {k: v for k, v in platform.env.items() if k != "NO_COLOR"}
    main, replica = pty.openpty()
    try:
        code = subprocess.run(
            [NEXUS, "ai", "agent", "logs", deployed, "-n", "3"],
            env={**env, "TERM": "xterm"},
            stdout=replica,
            stderr=subprocess.DEVNULL,
            timeout=60,
        ).returncode
        os.close(replica)
        shown = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the terminal's other side closed
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(main)
    assert code == 0
    assert b"\x1b[36mINFO" in shown  # info in cyan on a terminal
    piped = nexus("ai", "agent", "logs", deployed, "-n", "3", env=env)
    assert "INFO" in piped.stdout
    assert "\x1b[" not in piped.stdout
