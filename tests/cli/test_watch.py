"""`nexus ai agent deploy --watch`: a saved change is deployed and answers, until Ctrl-C."""

from __future__ import annotations

import json
import queue
import signal
import threading
import time
from pathlib import Path
from typing import Any

from tests.cli.cli_support import Platform, make_project, spawn


def test_deploy_watch_redeploys_a_change(platform: Platform, tmp_path: Path) -> None:
    root = make_project(tmp_path / "watched", "watched", platform.env)
    proc = spawn("--json", "ai", "agent", "deploy", "--watch", env=platform.env, cwd=root)
    assert proc.stdout is not None
    assert proc.stderr is not None
    stdout, stderr = proc.stdout, proc.stderr
    lines: queue.Queue[str] = queue.Queue()  # stdout as it comes: one JSON line per deploy
    errors: list[str] = []

    def read_stdout() -> None:
        for line in stdout:
            lines.put(line)

    readers = [
        threading.Thread(target=read_stdout, daemon=True),
        threading.Thread(target=lambda: errors.append(stderr.read()), daemon=True),
    ]
    for reader in readers:
        reader.start()
    results: list[dict[str, Any]] = []

    def next_result() -> None:
        try:
            results.append(json.loads(lines.get(timeout=1)))
        except queue.Empty:
            assert proc.poll() is None, "the watcher stopped"

    try:
        deadline = time.monotonic() + 90
        while not results:
            assert time.monotonic() < deadline, "the first deploy was not printed"
            next_result()
        assert platform("ai", "agent", "run", "watched", "x").code == 0
        time.sleep(0.5)  # the watcher is up once the first deploy is printed
        agent = root / "agent.py"
        agent.write_text(agent.read_text().replace('f"Hello ', 'f"Hi again '))
        # The new version answers a moment before the watcher prints its result: wait for the line.
        while len(results) < 2:
            assert time.monotonic() < deadline, f"the change was not deployed: {results}"
            next_result()
        assert "Hi again" in platform("ai", "agent", "run", "watched", "x").stdout
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=120)  # generous: a loaded machine needed more than 30 s once
        except Exception:
            proc.kill()
            raise
        for reader in readers:
            reader.join(timeout=10)
    err = "".join(errors)
    assert proc.returncode == 130, err  # the documented code of an interruption
    assert "Watching" in err
    assert "Changed: agent.py" in err
    assert "Stopped watching." in err
    assert [r["version"]["revision"] for r in results] == [1, 2]
    assert lines.empty(), "one JSON line per deploy, and nothing else on stdout"
