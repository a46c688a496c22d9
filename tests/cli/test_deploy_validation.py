"""Deploy input is checked locally: each mistake is exit 2 with a precise message, nothing sent.

The `offline` platform points at a fresh home and a port nothing listens on;
a command that contacted the provider would start an emulator there, so
"no emulator.json afterwards" proves nothing was sent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.cli_support import Platform, make_project


def assert_nothing_sent(platform: Platform) -> None:
    assert not (platform.emulator.home / "emulator.json").exists()


@pytest.fixture
def project(tmp_path: Path, offline: Platform) -> Path:
    return make_project(tmp_path / "my-agent", "my-agent", offline.env)


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (["Bad_Name"], "invalid agent name 'Bad_Name'", "e.g. my-agent"),
        (["--cpu", "lots"], "invalid CPU value 'lots'", "500m"),
        (["--cpu", "1m"], "CPU value '1m' is too small", "at least 10m"),
        (["--memory", "12XB"], "invalid memory value '12XB'", "1Gi"),
        (["--memory", "1Mi"], "memory value '1Mi' is too small", "32Mi"),
        (
            ["--env", "production", "--replicas", "20"],
            "20 replicas is out of bounds for production: it allows 2-10",
            "2..10",
        ),
        (
            ["--env", "development", "--replicas", "3"],
            "3 replicas is out of bounds for development: it allows exactly 1",
            "1..1",
        ),
        (["--env", "prod"], "unknown environment 'prod'", "development, staging, production"),
        (
            ["--max-concurrency", "1001"],
            "max_concurrency 1001 is out of bounds: use 0 (no limit) to 1000",
            "--max-concurrency 4",
        ),
        (
            ["--max-attempts", "0"],
            "max_attempts 0 is out of bounds: use 1 to 20",
            "--max-attempts 5",
        ),
        (["--network", "open"], "network 'open' is not one of: public, platform", '"platform"'),
    ],
)
def test_bad_input_is_refused_locally(
    offline: Platform, project: Path, args: list[str], message: str, hint: str
) -> None:
    result = offline("ai", "agent", "deploy", *args, cwd=project)
    assert result.code == 2, result.out
    assert f"Error: {message}" in result.stderr
    assert hint in result.stderr
    assert_nothing_sent(offline)


def test_no_project_file(offline: Platform, tmp_path: Path) -> None:
    result = offline("ai", "agent", "deploy", "my-agent", cwd=tmp_path)
    assert result.code == 2, result.out
    assert f"no nexus.toml in {tmp_path.resolve()}" in result.stderr
    assert "nexus ai agent init NAME" in result.stderr
    assert_nothing_sent(offline)


def test_malformed_toml_names_file_and_line(offline: Platform, project: Path) -> None:
    toml = project / "nexus.toml"
    lines = toml.read_text().splitlines()
    lines[3] = 'version = "0.1.0'  # unterminated string on line 4
    toml.write_text("\n".join(lines) + "\n")
    result = offline("ai", "agent", "deploy", cwd=project)
    assert result.code == 2, result.out
    assert result.stderr.startswith("Error: nexus.toml:4: not valid TOML"), result.stderr
    assert_nothing_sent(offline)


def test_bad_entrypoint_names_file_line_and_what(offline: Platform, project: Path) -> None:
    toml = project / "nexus.toml"
    toml.write_text(toml.read_text().replace('"agent:MyAgent"', '"agent.MyAgent"'))
    result = offline("--json", "ai", "agent", "deploy", cwd=project)
    assert result.code == 2, result.out
    import json

    error = json.loads(result.stdout)["error"]
    assert error["code"] == "project"
    assert error["message"].endswith(":3: entrypoint 'agent.MyAgent' must be module:Class")
    assert 'entrypoint = "agent:MyAgent"' in error["hint"]


def test_bad_environment_table_in_project_file(offline: Platform, project: Path) -> None:
    toml = project / "nexus.toml"
    toml.write_text(toml.read_text().replace("replicas = 2", "replicas = 50"))
    result = offline("ai", "agent", "deploy", cwd=project)
    assert result.code == 2, result.out
    assert "[environments.production] 50 replicas is out of bounds" in result.stderr
    assert "nexus.toml:" in result.stderr


def test_image_deploy_needs_a_name(offline: Platform, tmp_path: Path) -> None:
    result = offline("ai", "agent", "deploy", "--image", "example:1", cwd=tmp_path)
    assert result.code == 2, result.out
    assert "nexus ai agent deploy NAME --image example:1" in result.stderr


def test_bad_network_in_project_file_names_its_line(offline: Platform, project: Path) -> None:
    toml = project / "nexus.toml"
    toml.write_text(toml.read_text().replace("[agent]\n", '[agent]\nnetwork = "closed"\n', 1))
    result = offline("ai", "agent", "deploy", cwd=project)
    assert result.code == 2, result.out
    assert "nexus.toml:2: network 'closed' is not one of: public, platform" in result.stderr
    assert_nothing_sent(offline)


def test_a_provider_that_cannot_enforce_platform_egress_refuses_it(
    offline: Platform, project: Path
) -> None:
    result = offline(
        "--provider", "kubernetes", "ai", "agent", "deploy", "--network", "platform", cwd=project
    )
    assert result.code == 2, result.out
    assert 'the kubernetes provider does not enforce network = "platform"' in result.stderr
    assert_nothing_sent(offline)
