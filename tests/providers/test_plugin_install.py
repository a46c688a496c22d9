"""A third-party provider installed from its own package, found through its entry point.

tests/providers/fixture_plugin is built and installed (pip, into a directory of
its own on PYTHONPATH: the project's .venv stays as it is), then driven with the
`nexus` command: listed with its version, shown, chosen by --provider, by a
profile and by nexus.toml; what it cannot do exits 2.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.cli_support import Result, base_env, free_port, nexus

FIXTURE = Path(__file__).with_name("fixture_plugin")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("plugin")
    site = root / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--disable-pip-version-check", "--target", str(site), str(FIXTURE)],
        check=True,
        capture_output=True,
        timeout=300,
        cwd=root,
    )  # fmt: skip
    values = base_env(root / "home", free_port())
    values["PYTHONPATH"] = str(site)
    values["NEXUS_ECHO_STATE"] = str(root / "echo.json")
    return values


def cli(env: dict[str, str], *args: str, cwd: Path | None = None) -> Result:
    return nexus(*args, env=env, cwd=cwd)


def test_listed_and_shown_from_metadata(env: dict[str, str]) -> None:
    listed = json.loads(cli(env, "--json", "ai", "provider", "list").stdout)
    echo = next(p for p in listed if p["name"] == "echo")
    assert (echo["version"], echo["distribution"]) == ("0.3.1", "nexus-echo-provider")
    assert echo["capabilities"] == ["deploy", "run"]
    shown = cli(env, "--json", "ai", "provider", "show", "echo")
    assert shown.code == 0, shown.out
    detail = json.loads(shown.stdout)
    assert detail["capabilities"]["deploy"] is True
    assert detail["capabilities"]["scale"] is False
    assert detail["options"][0]["name"] == "state"
    assert detail["options"][0]["source"] == "NEXUS_ECHO_STATE"


def test_driven_through_the_cli(env: dict[str, str]) -> None:
    deployed = cli(env, "--provider", "echo", "ai", "agent", "deploy", "bot", "--image", "x:1")
    assert deployed.code == 0, deployed.out
    assert "Deployed bot r1 (revision 1) to development" in deployed.stdout
    run = cli(env, "--json", "--provider", "echo", "ai", "agent", "run", "bot", "hi")
    assert json.loads(run.stdout)["output"]["echo"] == "hi"
    scale = cli(
        env, "--provider", "echo", "ai", "agent", "scale", "bot", "-e", "development", "-r", "1"
    )
    assert scale.code == 2, scale.out
    assert "scaling is not supported by provider 'echo'" in scale.stderr
    logs = cli(env, "--provider", "echo", "ai", "agent", "logs", "bot")
    assert logs.code == 2, logs.out
    assert "logs is not supported by provider 'echo'" in logs.stderr


def test_missing_option_says_which_and_how(env: dict[str, str]) -> None:
    bare = {k: v for k, v in env.items() if k != "NEXUS_ECHO_STATE"}
    result = cli(bare, "--provider", "echo", "ai", "agent", "list")
    assert result.code == 2, result.out
    assert "provider 'echo' needs the option 'state'" in result.stderr
    assert "NEXUS_ECHO_STATE=VALUE" in result.stderr


def test_profile_and_project_mapping_choose_it(env: dict[str, str], tmp_path: Path) -> None:
    bare = {k: v for k, v in env.items() if k != "NEXUS_ECHO_STATE"}
    bare["NEXUS_CONFIG_DIR"] = str(tmp_path / "config")
    state = str(tmp_path / "state.json")
    made = cli(
        bare, "ai", "profile", "create", "mine", "--provider", "echo", "-o", f"state={state}"
    )
    assert made.code == 0, made.out
    listed = cli(bare, "--json", "ai", "agent", "list")  # the profile in use: echo, with its state
    assert listed.code == 0, listed.out
    assert json.loads(listed.stdout) == []
    # nexus.toml maps an environment to a provider (or a profile); --provider still wins
    (tmp_path / "nexus.toml").write_text(
        '[agent]\nname = "bot"\nentrypoint = "agent:Bot"\n\n'
        '[environments.production]\nprovider = "mine"\n'
    )
    other = dict(bare, NEXUS_CONFIG_DIR=str(tmp_path / "empty-config"))
    mapped = cli(other, "ai", "agent", "status", "bot", "--env", "production", cwd=tmp_path)
    assert mapped.code == 2, mapped.out  # profile "mine" is unknown in this config: a provider?
    assert "unknown provider 'mine'" in mapped.stderr
    status = cli(bare, "ai", "agent", "status", "bot", "--env", "production", cwd=tmp_path)
    assert status.code == 2, status.out
    assert "agent 'bot' is not deployed on echo" in status.stderr


def test_listing_imports_no_heavy_client(tmp_path: Path) -> None:
    """`provider list --verbose` loads every provider class, but none of their clients."""
    code = (
        "import sys\n"
        "sys.argv = ['nexus', 'ai', 'provider', 'list', '--verbose']\n"
        "from nexus_cli.main import app\n"
        "try:\n    app(prog_name='nexus')\nexcept SystemExit:\n    pass\n"
        "heavy = {'boto3', 'botocore', 'kubernetes', 'docker', 'moto'}\n"
        "print('HEAVY', sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    env = base_env(tmp_path / "home", free_port())
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert "swarm" in done.stdout
    assert "agentcore" in done.stdout
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr
