"""`network` in nexus.toml and `deploy --network`, as `status` shows it (process runtime)."""

from __future__ import annotations

import json

import pytest

from tests.cli.cli_support import Platform, make_project


def test_network_from_the_project_file_and_the_flag(
    platform: Platform, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = make_project(tmp_path_factory.mktemp("net") / "net-agent", "net-agent", platform.env)
    toml = root / "nexus.toml"
    toml.write_text(toml.read_text().replace("[agent]\n", '[agent]\nnetwork = "platform"\n', 1))
    try:
        deployed = platform("ai", "agent", "deploy", cwd=root)
        assert deployed.code == 0, deployed.out
        status = platform("ai", "agent", "status", "net-agent")
        assert status.code == 0, status.out
        row = next(line for line in status.stdout.splitlines() if line.startswith("network"))
        assert "platform endpoint only (not enforced:" in row  # said plainly on processes
        data = json.loads(platform("ai", "agent", "status", "net-agent", "--json").stdout)
        [env] = data["environments"]
        assert env["network"] == "platform"
        assert env["egress"].startswith("not enforced")

        flag = platform("ai", "agent", "deploy", "--network", "public", cwd=root)
        assert flag.code == 0, flag.out  # the flag wins over nexus.toml
        data = json.loads(platform("ai", "agent", "status", "net-agent", "--json").stdout)
        assert data["environments"][0]["network"] == "public"
        human = platform("ai", "agent", "status", "net-agent").stdout
        assert "public: the platform endpoint and the internet" in human
    finally:
        platform("ai", "agent", "delete", "net-agent", "--yes")
