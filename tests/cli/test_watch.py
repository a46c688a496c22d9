"""`nexus ai agent deploy --watch`: a saved change is deployed and answers, until Ctrl-C."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.cli.cli_support import Platform, interrupt, make_project, spawn


def test_deploy_watch_redeploys_a_change(platform: Platform, tmp_path: Path) -> None:
    root = make_project(tmp_path / "watched", "watched", platform.env)
    proc = spawn("--json", "ai", "agent", "deploy", "--watch", env=platform.env, cwd=root)
    try:
        deadline = time.monotonic() + 60
        while platform("ai", "agent", "run", "watched", "x").code != 0:
            assert proc.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.2)
        time.sleep(0.5)  # the watcher is up once the first deploy is answered
        agent = root / "agent.py"
        agent.write_text(agent.read_text().replace('f"Hello ', 'f"Hi again '))
        while "Hi again" not in platform("ai", "agent", "run", "watched", "x").stdout:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the change was not deployed"
            time.sleep(0.2)
    finally:
        out, err = interrupt(proc)  # generous: a loaded machine needed more than 30 s once
    assert proc.returncode == 130, err  # the documented code of an interruption
    assert "Watching" in err
    assert "Changed: agent.py" in err
    assert "Stopped watching." in err
    results = [json.loads(line) for line in out.splitlines()]  # one JSON line per deploy
    assert [r["version"]["revision"] for r in results] == [1, 2]
