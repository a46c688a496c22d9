"""The API document matches the API: schemathesis (``--checks all``) drives every
operation of the emulator's own /openapi.json over real HTTP on loopback.

Two bounded runs (a fixed seed, a few examples per operation), every check on:
- the control and data planes with the admin token, the deploy operation included
  (its limits' patterns carry the smallest CPU and memory, its replica counts the
  bounds of the environment named);
- /v1/platform with a replica's workload token (an agent deployed here reads it from
  its platform file), the routes that take another API's body included: the OpenAI
  chat and embeddings requests, Anthropic's Messages request and the OTLP trace export,
  as JSON and (st_hooks.py encodes it) as protobuf.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulator.conftest import Emu, running_emulator, write_agent

REPO = Path(__file__).resolve().parents[2]
ST = Path(sys.executable).parent / "st"

TOKEN_AGENT = """
import json, os

class Token(EchoAgent):
    async def process(self, input):
        with open(os.environ["NEXUS_PLATFORM_FILE"]) as f:
            return json.load(f)["workload_token"]
"""


@pytest.fixture
def emu(tmp_path: Path, free_port: int) -> Iterator[Emu]:
    with running_emulator(tmp_path, free_port, "process") as e:
        yield e


def schemathesis(emu: Emu, token: str, *args: str) -> None:
    """One run; fails the test with schemathesis's report when it finds anything."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SCHEMATHESIS_HOOKS": "tests.emulator.st_hooks",
        "NO_COLOR": "1",
    }
    run = subprocess.run(
        [
            str(ST),
            "run",
            f"{emu.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "all",
            "--max-examples",
            "5",
            "--seed",
            "7",
            "--generation-database",
            "none",
            "--no-shrink",
            "--phases",
            "examples,coverage,fuzzing",
            "--workers",
            "1",
            "--request-timeout",
            "20",
            "--no-color",
            "--warnings",
            "off",
            *args,
        ],
        cwd=emu.home,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-2000:]
    assert " passed" in run.stdout, run.stdout[-2000:]


def test_the_control_and_data_planes_match_the_document(emu: Emu) -> None:
    admin = (emu.home / "token").read_text().strip()
    schemathesis(emu, admin, "--exclude-path-regex", "^/v1/platform/")


def test_the_platform_api_matches_the_document(emu: Emu, tmp_path: Path) -> None:
    events = emu.deploy(
        "token",
        write_agent(tmp_path / "token", extra=TOKEN_AGENT),
        project={"entrypoint": "agent:Token", "version": None},
    )
    assert events[-1]["event"] == "result", events
    answer = emu.client.post("/agents/token/run", json={"input": None})
    assert answer.status_code == 200, answer.text
    schemathesis(
        emu,
        answer.json()["output"],
        "--include-path-regex",
        "^/v1/platform/",
    )
