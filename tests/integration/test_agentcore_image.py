"""An agent written for Amazon Bedrock AgentCore (`BedrockAgentCoreApp`, a different server
than Nexus's) runs unchanged on Nexus with `--image`: the runtime contract is the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cache import cached_dir
from tests.emulator.runtime_support import built_image

AGENTCORE = "bedrock-agentcore==1.25.0"  # pinned: its wheels are kept between runs
pytestmark = [pytest.mark.docker, pytest.mark.slow]

APP = """
from bedrock_agentcore.runtime import BedrockAgentCoreApp

app = BedrockAgentCoreApp()


@app.entrypoint
def invoke(payload):
    return {"result": "agentcore says hello to " + str(payload.get("input"))}


if __name__ == "__main__":
    app.run()
"""
DOCKERFILE = """
FROM nexus-base:bookworm-py3
COPY wheels /wheels
RUN python3 -m venv /opt/venv \\
 && /opt/venv/bin/pip install -q --no-index --find-links /wheels %(package)s \\
 && rm -rf /wheels
COPY app.py /app/app.py
WORKDIR /app
USER 10001
EXPOSE 8080
CMD ["/opt/venv/bin/python", "app.py"]
"""


@pytest.fixture
def agentcore_image(tmp_path: Path) -> Iterator[str]:
    def download(into: Path) -> None:
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "-w", str(into), AGENTCORE],
            check=True,
            capture_output=True,
            timeout=600,
        )

    wheels = cached_dir("wheels-" + AGENTCORE.replace("==", "-"), download)
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "Dockerfile").write_text(DOCKERFILE % {"package": AGENTCORE})

    def fill(tar: tarfile.TarFile) -> None:
        for name in ("Dockerfile", "app.py"):
            tar.add(tmp_path / name, arcname=name)
        tar.add(wheels, arcname="wheels")

    with built_image("nexus-test-agentcore", fill) as tag:
        yield tag


def test_bedrock_agentcore_app_runs_with_image(
    agentcore_image: str, tmp_path: Path, free_port: int
) -> None:
    nexus = str(Path(sys.executable).parent / "nexus")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_")}
    env.update(
        NEXUS_HOME=str(tmp_path / "home"),
        NEXUS_EMULATOR_PORT=str(free_port),
        NEXUS_RUNTIME="docker",
    )

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [nexus, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )

    try:
        deployed = cli("ai", "agent", "deploy", "ac-agent", "--image", agentcore_image)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        ran = cli("--json", "ai", "agent", "run", "ac-agent", "Nexus")
        assert ran.returncode == 0, ran.stdout + ran.stderr
        answer = json.loads(ran.stdout)
        assert answer["output"] == {"result": "agentcore says hello to Nexus"}
        assert answer["metadata"]["revision"] == 1
    finally:
        cli("ai", "emulator", "reset", "--yes")
        cli("ai", "emulator", "stop")
