"""`nexus ai emulator ...` on a private home: start, status, logs, stop, reset, port in use."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.cli.cli_support import NEXUS, Platform, interrupt, nexus, spawn


def test_emulator_lifecycle(offline: Platform) -> None:
    port = offline.emulator.port
    start = offline("ai", "emulator", "start", "--runtime", "process", "--port", str(port))
    assert start.code == 0, start.out
    assert f"Started the local emulator on 127.0.0.1:{port} (runtime: process" in start.stderr
    try:
        again = offline("ai", "emulator", "start", "--json")
        assert again.code == 0, again.out
        data = json.loads(again.stdout)
        assert data["running"]
        assert data["ready"]
        assert not data["started"]
        # other settings are not silently ignored: the running one is named, with the way out
        other = offline("ai", "emulator", "start", "--port", str(port + 1), "--runtime", "docker")
        assert other.code == 2, other.out
        assert (
            f"the local emulator already runs on http://127.0.0.1:{port} with runtime process; "
            f"--port {port + 1} --runtime docker not applied" in other.stderr
        )
        assert "nexus ai emulator stop" in other.stderr
        same = offline("ai", "emulator", "start", "--port", str(port), "--runtime", "process")
        assert same.code == 0, same.out
        assert "already runs" in same.stderr

        status = json.loads(offline("ai", "emulator", "status", "--json").stdout)
        assert status["port"] == port
        home = offline.emulator.home
        assert home.stat().st_mode & 0o777 == 0o700  # the owner's only
        for private in ("emulator.log", "state.db", "token"):
            assert (home / private).stat().st_mode & 0o777 == 0o600, private
        assert status["runtime"] == "process"
        assert status["home"] == str(offline.emulator.home.resolve())
        human = offline("ai", "emulator", "status")
        assert f"http://127.0.0.1:{port}" in human.stdout
        assert "ready" in human.stdout

        logs = offline("ai", "emulator", "logs", "--lines", "5")
        assert logs.code == 0, logs.out
        assert logs.stdout.strip()
        lines = offline("--json", "ai", "emulator", "logs", "-n", "2").stdout.splitlines()
        assert 1 <= len(lines) <= 2
        assert all("line" in json.loads(x) for x in lines)
    finally:
        stop = offline("ai", "emulator", "stop")
    assert stop.code == 0, stop.out
    assert f"Stopped the local emulator (pid {status['pid']}, port {port})." in stop.stdout
    assert not (offline.emulator.home / "emulator.json").exists()
    assert "not running" in offline("ai", "emulator", "stop").stdout
    assert json.loads(offline("ai", "emulator", "status", "--json").stdout)["running"] is False


def test_agent_command_starts_the_emulator_on_demand(offline: Platform) -> None:
    result = offline("ai", "agent", "list")
    try:
        assert result.code == 0, result.out
        port = offline.emulator.port
        assert (
            f"Started the local emulator on 127.0.0.1:{port} (runtime: process; "
            "agents run as local processes)" in result.stderr
        )
        assert "No agents yet" in result.stdout
        second = offline("ai", "agent", "list")
        assert "Started" not in second.stderr  # already running: said once
    finally:
        offline("ai", "emulator", "stop")


def test_commands_started_together_share_one_emulator(offline: Platform) -> None:
    from concurrent.futures import ThreadPoolExecutor

    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda _: offline("ai", "agent", "list", "--json"), range(4)))
        assert [r.code for r in results] == [0, 0, 0, 0], [r.out for r in results]
        assert sum("Started the local emulator" in r.stderr for r in results) == 1
        assert all(json.loads(r.stdout) == [] for r in results)
    finally:
        offline("ai", "emulator", "stop")


def test_port_in_use(offline: Platform) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        for args in (["ai", "emulator", "start", "--port", str(port)], ["ai", "agent", "list"]):
            env = {**offline.env, "NEXUS_EMULATOR_PORT": str(port)}
            result = nexus(*args, env=env)
            assert result.code == 1, result.out
            assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
            assert "--port" in result.stderr
            assert "NEXUS_EMULATOR_PORT" in result.stderr


def test_reset_needs_yes_without_terminal_then_clears_state(offline: Platform) -> None:
    assert offline("ai", "emulator", "start").code == 0
    refused = offline("ai", "emulator", "reset")
    assert refused.code == 2, refused.out
    assert "pass --yes" in refused.stderr
    assert (offline.emulator.home / "token").exists()

    done = offline("ai", "emulator", "reset", "--yes", "--json")
    assert done.code == 0, done.out
    data = json.loads(done.stdout)
    assert data["replicas_removed"] is True
    assert "token" in data["removed"]
    assert list(offline.emulator.home.iterdir()) == []


def test_reset_refuses_a_directory_that_is_not_a_nexus_home(
    offline: Platform, tmp_path: Path
) -> None:
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.txt").write_text("precious")
    result = nexus(
        "ai", "emulator", "reset", "--yes", env={**offline.env, "NEXUS_HOME": str(foreign)}
    )
    assert result.code == 2, result.out
    assert "does not look like a Nexus home" in result.stderr
    assert (foreign / "thesis.txt").read_text() == "precious"


def test_foreground_start_stops_on_ctrl_c(offline: Platform) -> None:
    proc = subprocess.Popen(
        [NEXUS, "ai", "emulator", "start", "--foreground", "--runtime", "process"],
        env=offline.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    info = offline.emulator.home / "emulator.json"
    deadline = time.monotonic() + 15
    while not info.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.stderr is not None
    assert info.exists(), proc.stderr.read() if proc.poll() is not None else "not started"
    pid = None
    while pid is None:  # the file can be seen before its content is written
        try:
            pid = json.loads(info.read_text())["pid"]
        except (ValueError, KeyError):
            assert time.monotonic() < deadline, "emulator.json never held a pid"
            time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's process group
    proc.wait(20)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the emulator still runs after Ctrl-C")


def test_emulator_logs_follow_exits_130_on_ctrl_c(platform: Platform) -> None:
    proc = spawn("ai", "emulator", "logs", "-f", env=platform.env)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline()  # following: the backlog is printed
    finally:
        _, err = interrupt(proc)
    assert proc.returncode == 130, err


def test_first_run_after_a_restart_on_demand_answers(offline: Platform, tmp_path: Path) -> None:
    """The start-on-demand path: `agent run` starts the stopped emulator, which adopts the
    replicas (or starts them again) before the call; the call does not fail meanwhile."""
    from tests.cli.cli_support import make_project

    root = make_project(tmp_path / "greeter", "greeter", offline.env)
    deployed = offline("ai", "agent", "deploy", "--env", "staging", cwd=root)
    try:
        assert deployed.code == 0, deployed.out
        for trial in range(3):
            assert offline("ai", "emulator", "stop").code == 0
            answer = offline("ai", "agent", "run", "greeter", f"try {trial}", "--env", "staging")
            assert answer.code == 0, (trial, answer.out)
            assert "Started the local emulator" in answer.stderr
            assert f"try {trial}" in answer.stdout
        # replicas that outlive the emulator but answer nothing: replaced before the call
        status = json.loads(offline("--json", "ai", "agent", "status", "greeter").stdout)
        pids = [int(r["id"].removeprefix("pid:")) for r in status["environments"][0]["replicas"]]
        assert offline("ai", "emulator", "stop").code == 0
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        answer = offline("ai", "agent", "run", "greeter", "frozen", "--env", "staging")
        assert answer.code == 0, answer.out
        assert "frozen" in answer.stdout
    finally:
        offline("ai", "emulator", "reset", "--yes")
