"""The dashboard in a real terminal (tmux): it draws the agents and their health, and q quits."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from nexus_local.provider import LocalProvider

from nexus_cli.commands.agent.deploy import request

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.tmux


def test_dashboard_in_tmux(provider: LocalProvider, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples" / "hello", tmp_path / "hello")
    provider.deploy(request(tmp_path / "hello", "development"), print)
    em = provider.emulator
    session = f"nexus-test-{uuid.uuid4().hex[:8]}"
    nexus = Path(sys.executable).parent / "nexus"
    command = f"NEXUS_HOME={em.home} NEXUS_EMULATOR_PORT={em.port} {nexus} ai dashboard"
    # A tmux server of its own, its socket in the test's folder: on the shared default
    # one, another test's last session ending can stop the server under this one
    # ("server exited unexpectedly").
    tmux = ["tmux", "-S", str(tmp_path / "tmux.sock")]
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", session, "-x", "120", "-y", "32", command], check=True
    )
    try:
        screen = ""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            screen = subprocess.run(
                [*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout
            if all(text in screen for text in ("1/1 healthy", "hello", "q Quit")):
                break  # the footer can be painted a moment after the table
            time.sleep(0.2)
        assert "1/1 healthy" in screen, screen
        assert "hello" in screen, screen
        assert "q Quit" in screen, screen
        subprocess.run([*tmux, "send-keys", "-t", session, "q"], check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            alive = subprocess.run([*tmux, "has-session", "-t", session], capture_output=True)
            if alive.returncode != 0:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("q did not quit the dashboard")
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
