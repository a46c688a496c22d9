"""The pytest plugin for users (nexus_local.pytest_plugin, entry point ``pytest11``):
a sample project's own tests deploy and call it on an emulator the plugin starts,
run in a subprocess as a user's CI would, with their own --basetemp."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SAMPLE_TESTS = """
import json
import os
import subprocess
import sys
from pathlib import Path


def test_run(nexus_agent):
    assert nexus_agent.name == "hello"
    assert nexus_agent.run("three short words", user_id="7") == (
        "Hello user 7! Your message has 3 words."
    )


def test_stream(nexus_agent):
    assert "Your message has 2 words." in nexus_agent.stream("two words")


def test_client_and_cli_reach_the_same_emulator(nexus_agent, nexus_client, nexus_emulator):
    answer = nexus_client.agents.run("hello", "one", env="development")
    assert answer["output"] == "Hello there! Your message has 1 word."
    nexus = Path(sys.executable).parent / "nexus"
    status = subprocess.run(
        [str(nexus), "--json", "ai", "agent", "status", "hello"],
        capture_output=True, text=True, check=True,
    )
    assert json.loads(status.stdout)["environments"][0]["env"] == "development"
    Path(os.environ["SAMPLE_REPORT"]).write_text(json.dumps({
        "home": str(nexus_emulator.home), "url": nexus_emulator.url,
        "runtime": nexus_emulator.runtime, "mode": nexus_emulator.mode,
    }))


def test_deploy_a_second_agent(nexus_deploy, nexus_client, tmp_path):
    result = nexus_deploy(name="hello-two")
    assert result.name == "hello-two"
    again = nexus_deploy(name="hello-two")
    assert again.unchanged
    assert nexus_client.agents.run("hello-two", "a b")["output"].endswith("2 words.")


def test_a_wrong_expectation_fails(nexus_agent):
    assert nexus_agent.run("x") == "something else"
"""


def sample(tmp_path: Path) -> Path:
    project = tmp_path / "hello"
    shutil.copytree(ROOT / "examples" / "hello", project)
    (project / "tests" / "test_agent.py").write_text(SAMPLE_TESTS)
    (project / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    return project


def run_pytest(
    project: Path, tmp_path: Path, *args: str, docker_host: str | None = None
) -> subprocess.CompletedProcess[str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "DOCKER_HOST", "TMPDIR", "NEXUS_BASE_IMAGE")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env |= {
        "SAMPLE_REPORT": str(tmp_path / "report.json"),
        "NEXUS_KEYRING": "off",
        "NEXUS_CONFIG_DIR": str(tmp_path / "config"),
        # a user's machine has a default home: the plugin must not use it
        "NEXUS_HOME": str(tmp_path / "users-own-home"),
    }
    if docker_host is not None:
        env["DOCKER_HOST"] = docker_host
    # its own --basetemp: a nested run must not prune the numbered temp dirs of other runs
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", f"--basetemp={tmp_path / 'basetemp'}", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def check_run(
    tmp_path: Path, done: subprocess.CompletedProcess[str], runtime: str, mode: str = "process"
) -> None:
    out = done.stdout + done.stderr
    assert done.returncode == 1, out  # the one wrong expectation
    assert "1 failed, 6 passed" in out, out  # the example's own 2, and these 5
    assert "test_a_wrong_expectation_fails" in out
    assert "something else" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["runtime"] == runtime
    assert report["mode"] == mode
    home = Path(report["home"])
    assert str(home).startswith(str(tmp_path / "basetemp"))
    assert not (tmp_path / "users-own-home").exists()
    info = home / "emulator.json"
    assert not info.exists(), "the session's emulator still runs"


def test_sample_project_tests_itself_on_the_process_runtime(tmp_path: Path) -> None:
    project = sample(tmp_path)
    done = run_pytest(project, tmp_path, "--nexus-runtime", "process", "--nexus-emulator=process")
    check_run(tmp_path, done, "process")


@pytest.mark.docker
def test_sample_project_tests_itself_in_docker(tmp_path: Path) -> None:
    project = sample(tmp_path)
    (project / "pytest.ini").write_text(
        "[pytest]\naddopts = -p no:cacheprovider\nnexus_runtime = docker\n"
        "nexus_emulator = process\n"
    )
    done = run_pytest(project, tmp_path)
    check_run(tmp_path, done, "docker")


@pytest.mark.docker
def test_sample_project_tests_itself_on_a_containerised_emulator(tmp_path: Path) -> None:
    """The emulator in a container (testcontainers, its image built offline from host
    wheels) runs the agent's replicas as siblings on the host engine; the CLI on the host
    sees it as the running emulator of the session's home; it is removed at the end."""
    project = sample(tmp_path)
    done = run_pytest(
        project, tmp_path, "-v", "--nexus-emulator=container", "--nexus-runtime=docker"
    )
    out = done.stdout + done.stderr
    assert "nexus: the fixtures' emulator runs as a container" in out, out
    check_run(tmp_path, done, "docker", "container")
    home = json.loads((tmp_path / "report.json").read_text())["home"]
    left = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"volume={home}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert left.stdout.strip() == "", "the emulator's container is still there"


def test_without_an_engine_the_emulator_is_a_local_process_and_the_header_says_why(
    tmp_path: Path,
) -> None:
    project = sample(tmp_path)
    gone = f"unix://{tmp_path / 'no-engine.sock'}"
    done = run_pytest(project, tmp_path, "-v", docker_host=gone)
    out = done.stdout + done.stderr
    assert "nexus: the fixtures' emulator runs as a local process: no Docker engine" in out, out
    check_run(tmp_path, done, "process")


def test_a_project_without_nexus_toml_is_named(tmp_path: Path) -> None:
    project = tmp_path / "empty"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_it.py").write_text("def test_it(nexus_agent):\n    pass\n")
    done = run_pytest(project, tmp_path, "--nexus-runtime", "process")
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "no nexus.toml in" in out, out
    assert "nexus_project" in out, out
