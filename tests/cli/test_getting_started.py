"""docs/getting-started.md, followed literally: every command of its ```bash blocks runs in
order, as written, in a shell against a real emulator (process runtime, its own home and
port), from an empty directory; the files it shows (`agent.py`:, `nexus.toml`:) are
written where it says; its Python snippets that call the API run in one interpreter, as
a reader's session would. A command that fails fails the test, naming the line.

What is not run as written is listed in SKIP (with why) or SUBSTITUTE (what replaces a
value that cannot work here); each entry must still be in the guide."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli.cli_support import base_env, free_port

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "getting-started.md"
pytestmark = pytest.mark.slow

SKIP = {
    "bash scripts/setup": "the test runs in the virtualenv scripts/setup made",
    "source .venv/bin/activate": "the same: that virtualenv's bin is first on the PATH here",
    "sudo /home/me/.venv/bin/nexus ai emulator base-image": "builds the Docker base image "
    "(CI does, with scripts/base-image); the guide runs here on the process runtime",
    "nexus ai agent logs my-agent --follow": "follows until Ctrl-C (tests/cli covers it)",
    "nexus ai emulator logs -f": "follows until Ctrl-C (tests/cli covers it)",
    "nexus ai dashboard": "needs a terminal (tests/tui covers it)",
    "nexus ai dashboard --readonly": "needs a terminal (tests/tui covers it)",
    "nexus completion install": "writes the reader's shell start-up file",
    "source completions/nexus.bash": "a path in the repository, not in the reader's project",
    "nexus ai agent deploy my-agent --image my-registry/my-agent:1.4": "no such image here",
}
SUBSTITUTE = {
    # a fixed port may be taken on a shared machine
    "--port 9000": "--port {port2}",
    # the guide's placeholders, for the ids the commands before them printed
    "task_0123456789abcdef": "{task}",
    "TASK_ID": "{task}",
    "--trace TRACE": "--trace {trace}",
}
STDIN = {"--env production  # type it hidden": "sk-prod-value\n"}
EXPECT = {
    # the guide's task ends in a moment: cancelling it then says so (as the guide says)
    "task cancel task_0123456789abcdef": (2, "already succeeded"),
    "task retry TASK_ID": (2, "already succeeded"),
}
PROSE = {
    "--trace TRACE": "latest_trace",
    # "Change the agent (say, its greeting), set version = "0.2.0" in nexus.toml and deploy it"
    "serves 0.2.0": "new_version",
}


@dataclass
class Block:
    lang: str
    text: str
    before: str  # the last non-empty line of prose above it


def blocks(markdown: str) -> list[Block]:
    found, lines, prose = [], markdown.splitlines(), ""
    i = 0
    while i < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[i])
        if not fence:
            if lines[i].strip():
                prose = lines[i].strip()
            i += 1
            continue
        end = lines.index("```", i + 1)
        found.append(Block(fence.group(1), "\n".join(lines[i + 1 : end]) + "\n", prose))
        i, prose = end + 1, ""
    return found


def commands(text: str) -> list[str]:
    """The block's commands: a line ending in \\ continues on the next."""
    out: list[str] = []
    pending = ""
    for line in text.splitlines():
        if pending:
            pending += "\n" + line
        elif line.strip() and not line.lstrip().startswith("#"):
            pending = line
        else:
            continue
        if not line.rstrip().endswith("\\"):
            out.append(pending)
            pending = ""
    return out


class Reader:
    """Follows the guide: a working directory, the ids seen so far, a Python session."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.cwd, self.env = tmp_path / "work", env
        self.cwd.mkdir()
        self.values = {"port2": str(free_port()), "task": "", "trace": ""}
        self.python: dict[str, Any] = {}
        self.ran: list[str] = []

    def shell(self, line: str) -> None:
        for marker, step in PROSE.items():
            if marker in line:
                getattr(self, step)()
        command = line
        for old, new in SUBSTITUTE.items():
            command = command.replace(old, new.format(**self.values))
        if command.startswith("cd "):
            self.cwd = (self.cwd / command[3:].split("#")[0].strip()).resolve()
            assert self.cwd.is_dir(), f"{line}: no such directory"
            return
        stdin = next((v for k, v in STDIN.items() if k in line), "")
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=self.cwd,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )
        self.ran.append(line)
        out = done.stdout + done.stderr
        code, says = next((v for k, v in EXPECT.items() if k in line), (0, ""))
        assert done.returncode == code, f"`{line}` exited {done.returncode}:\n{out}"
        assert says in out, f"`{line}` did not say {says!r}:\n{out}"
        self.remember(out)

    def remember(self, out: str) -> None:
        task = re.findall(r"task_[0-9a-f]{16}", out)
        if task:
            self.values["task"] = task[-1]

    def latest_trace(self) -> None:
        """The id the guide's TRACE stands for: the latest trace of my-agent."""
        listed = subprocess.run(
            ["nexus", "--json", "ai", "agent", "traces", "my-agent"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        self.values["trace"] = json.loads(listed.stdout)[0]["trace_id"]

    def new_version(self) -> None:
        agent = self.cwd / "agent.py"
        agent.write_text(agent.read_text().replace("Hello ", "Hi "))
        toml = self.cwd / "nexus.toml"
        toml.write_text(toml.read_text().replace('version = "0.1.0"', 'version = "0.2.0"'))

    def run_python(self, code: str) -> None:
        saved = dict(os.environ)
        os.environ.update(self.env)
        try:
            exec(compile(code, str(GUIDE), "exec"), self.python)
        finally:
            os.environ.clear()
            os.environ.update(saved)


def test_the_getting_started_guide_runs_as_written(tmp_path: Path) -> None:
    home, port = tmp_path / "home", free_port()
    env = base_env(home, port)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["NEXUS_RUNTIME"] = "process"
    env["HOME"] = str(tmp_path / "reader")
    reader = Reader(tmp_path, env)
    guide = GUIDE.read_text()
    missing = [k for k in [*SKIP, *SUBSTITUTE, *STDIN, *EXPECT, *PROSE] if k not in guide]
    assert not missing, f"no longer in the guide: {missing}"
    try:
        for block in blocks(guide):
            if block.lang == "bash":
                for line in commands(block.text):
                    if line.split("  #")[0].strip() not in SKIP:
                        reader.shell(line)
            elif block.before in ("`agent.py`:", "`nexus.toml`:"):
                (reader.cwd / block.before.strip("`:")).write_text(block.text)
            elif block.lang == "python" and "client" in block.text:
                reader.run_python(block.text)
    finally:
        subprocess.run(
            ["nexus", "ai", "emulator", "reset", "--yes"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            timeout=300,
        )
    assert len(reader.ran) > 40
