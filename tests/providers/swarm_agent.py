"""The agent the swarm provider's tests deploy, and a driver of the `nexus` command for it
(tests/providers/test_swarm.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli.cli_support import Result, nexus

AGENT = """
import os
import time

from nexus.ai.agents import Agent


class Echo(Agent):
    def __init__(self):
        super().__init__()
        self.key = os.environ.get("API_KEY", "-")

    async def process(self, input):
        if input in ("steps", "slow"):  # streamed: a progress report, then the answer
            return self.steps(input)
        return {"says": "GREETING " + str(input), "key": self.key}

    def steps(self, input):
        yield {"progress": 40}
        deadline = time.monotonic() + (300 if input == "slow" else 0)
        while time.monotonic() < deadline:
            time.sleep(0.2)
        yield {"text": "GREETING done"}
"""
TOML = """
[agent]
name = "{name}"
entrypoint = "agent:Echo"
version = "{version}"
"""


class Swarm:
    def __init__(self, root: Path, env: dict[str, str], name: str) -> None:
        self.root, self.env, self.name = root, env, name

    def __call__(self, *args: str, timeout: float = 300) -> Result:
        return nexus("--provider", "swarm", *args, env=self.env, timeout=timeout)

    def json(self, *args: str) -> object:
        result = self("--json", *args)
        assert result.code == 0, result.out
        return json.loads(result.stdout)

    def write(self, greeting: str, version: str, broken: bool = False) -> Path:
        project = self.root / "project"
        project.mkdir(exist_ok=True)
        code = AGENT.replace("GREETING", greeting)
        if broken:
            code += "\nraise RuntimeError('this version cannot start')\n"
        (project / "agent.py").write_text(code)
        (project / "nexus.toml").write_text(TOML.format(name=self.name, version=version))
        return project

    def deploy(
        self, greeting: str, version: str, broken: bool = False, replicas: int = 1
    ) -> Result:
        project = self.write(greeting, version, broken)
        where = ("--path", str(project), "--env", "staging", "--replicas", str(replicas))
        return self("ai", "agent", "deploy", *where)

    def run(self) -> dict[str, str]:
        answer = self.json("ai", "agent", "run", self.name, "x", "--env", "staging")
        assert isinstance(answer, dict)
        output = answer["output"]
        assert isinstance(output, dict)
        return output


def docker(*args: str) -> str:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=True, timeout=60
    ).stdout
