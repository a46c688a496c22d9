"""Logging in a replica: levels from NEXUS_LOG_LEVEL or nexus.toml, uncaught exceptions,
and every line the process writes, as JSON records on stdout."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_sdk_runtime import post, start, stop

AGENT = """
import logging
import os
import sys
import threading

from nexus.ai.agents import Agent

log = logging.getLogger("app")


class Levels(Agent):
    async def process(self, input):
        log.debug("a debug line")
        log.info("an info line")
        log.warning("a warning line")
        if input == "thread":
            worker = threading.Thread(target=lambda: 1 / 0, name="worker")
            worker.start()
            worker.join()
        if input == "partial":
            sys.stdout.write("no newline yet")
            sys.stdout.flush()
        if input == "child":
            os.system("echo from a child >&2")
        if input == "bytes":
            sys.stdout.buffer.write(b"raw bytes\\n")
            os.write(sys.stderr.fileno(), b"to stderr's descriptor\\n")
        return input
"""


def _run(tmp_path: Path, inputs: list[str], env: dict[str, str] | None = None) -> list[Any]:
    (tmp_path / "agent.py").write_text(textwrap.dedent(AGENT))
    proc, port = start(tmp_path, "agent:Levels", env)
    try:
        for value in inputs:
            assert post(port, {"input": value})[0] == 200
    finally:
        code, out, err = stop(proc)
    assert code == 0
    assert err == ""  # stderr, too, arrives as records on stdout
    return [json.loads(line) for line in out.splitlines()]


def _msgs(records: list[Any], logger: str = "app") -> list[tuple[str, str]]:
    return [(r["level"], r["msg"]) for r in records if r["logger"] == logger]


def test_info_by_default_and_nexus_log_level_wins(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NEXUS_LOG_LEVEL"}
    assert _msgs(_run(tmp_path, ["x"], env)) == [
        ("info", "an info line"),
        ("warning", "a warning line"),
    ]
    (tmp_path / "nexus.toml").write_text('[agent]\nlog_level = "debug"\n')
    assert len(_msgs(_run(tmp_path, ["x"], env))) == 3
    quiet = _run(tmp_path, ["x"], {**env, "NEXUS_LOG_LEVEL": "WARNING"})
    assert _msgs(quiet) == [("warning", "a warning line")]


def test_a_bad_level_is_said_and_info_is_used(tmp_path: Path) -> None:
    records = _run(tmp_path, ["x"], {"NEXUS_LOG_LEVEL": "loud"})
    [said] = [r for r in records if "NEXUS_LOG_LEVEL" in r["msg"]]
    assert said["level"] == "warning"
    assert "'loud' is not a level" in said["msg"]
    assert ("info", "an info line") in _msgs(records)


def test_uncaught_thread_exception_partial_line_and_child_output(tmp_path: Path) -> None:
    records = _run(tmp_path, ["thread", "partial", "child", "bytes"])
    [crash] = [r for r in records if r["msg"] == "uncaught exception in thread worker"]
    assert crash["level"] == "error"
    assert "ZeroDivisionError" in crash["traceback"]
    [partial] = [r for r in records if r["msg"] == "no newline yet"]
    assert (partial["level"], partial["logger"]) == ("info", "stdout")
    [child] = [r for r in records if r["msg"] == "from a child"]
    assert (child["level"], child["logger"]) == ("error", "stderr")
    [raw] = [r for r in records if r["msg"] == "raw bytes"]
    assert (raw["level"], raw["logger"]) == ("info", "stdout")
    [fd2] = [r for r in records if r["msg"] == "to stderr's descriptor"]
    assert fd2["level"] == "error"


@pytest.mark.parametrize("value", ["verbose", "3"])
def test_nexus_toml_refuses_a_bad_log_level(tmp_path: Path, value: str) -> None:
    from nexus.ai.project import ProjectFileError, load_project

    (tmp_path / "nexus.toml").write_text(
        f'[agent]\nname = "a"\nentrypoint = "agent:A"\nlog_level = "{value}"\n'
    )
    with pytest.raises(ProjectFileError, match="log_level must be one of: debug, info"):
        load_project(tmp_path)
