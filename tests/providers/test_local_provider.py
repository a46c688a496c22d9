"""The local provider against a real emulator: on-demand start, HTTP errors, archives."""

from __future__ import annotations

import socket
import tarfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from nexus_local.admin import reset
from nexus_local.archive import pack
from nexus_local.client import EmulatorClient
from nexus_local.lifecycle import Emulator, running_info
from nexus_local.provider import LocalProvider

from nexus_cli.commands.agent.deploy import request
from nexus_cli.errors import NotFound, ProjectError, Unavailable
from nexus_cli.providers.registry import get_provider


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalProvider]:
    monkeypatch.setenv("NEXUS_RUNTIME", "process")
    notices: list[str] = []
    chosen = get_provider("local", notice=notices.append, port=_free_port(), home=tmp_path / "h")
    assert isinstance(chosen, LocalProvider)
    chosen.settings["notices"] = notices
    try:
        yield chosen
    finally:
        reset(chosen.emulator, notices.append)  # process replicas outlive the emulator


def test_starts_the_emulator_once_and_says_so(provider: LocalProvider) -> None:
    assert running_info(provider.emulator) is None
    assert provider.list_agents() == []
    assert provider.list_agents() == []
    notices = provider.settings["notices"]
    token = provider.emulator.home / "token"
    assert notices == [
        f"Started the local emulator on 127.0.0.1:{provider.emulator.port} "
        "(runtime: process; agents run as local processes)",
        f"No OS keyring here: the admin token is in {token} (0600)",  # the suite's keyring is off
    ]
    assert token.stat().st_mode & 0o777 == 0o600


def test_errors_come_back_as_the_error_tree(provider: LocalProvider, tmp_path: Path) -> None:
    with pytest.raises(NotFound) as missing:
        provider.status("nobody", None)
    assert missing.value.exit_code == 2
    assert "nobody" in missing.value.message
    with pytest.raises(ProjectError):
        request(tmp_path, "development", name="x")


def test_deploy_reports_progress_and_result(provider: LocalProvider, tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "nexus.toml").write_text(
        '[agent]\nname = "p-agent"\nentrypoint = "agent:PAgent"\nversion = "1.0.0"\n'
    )
    (project / "agent.py").write_text(
        "from nexus.ai.agents import Agent\n\n\nclass PAgent(Agent):\n"
        "    async def process(self, input: str):\n        return {'echo': input}\n"
    )
    seen: list[str] = []
    result = provider.deploy(request(project, "development"), seen.append)
    assert result.version.label == "1.0.0"
    assert result.env == "development"
    assert any("uploading" in message for message in seen)
    assert provider.run("p-agent", "hi", {}, None).output == {"echo": "hi"}

    # the JSON reads the CLI prints from are the typed results' own JSON
    summaries = provider.list_agents_data()
    assert summaries == [a.model_dump(mode="json") for a in provider.list_agents()]
    assert [a["name"] for a in summaries] == ["p-agent"]
    status = provider.status_data("p-agent", None)
    assert status == provider.status("p-agent", None).model_dump(mode="json")
    assert status["environments"][0]["replicas"][0]["state"] == "healthy"
    answer = provider.run_data("p-agent", "again", {"user_id": "7"}, "development")
    assert answer["output"] == {"echo": "again"}
    assert set(answer) == set(provider.run("p-agent", "x", {}, None).model_dump(mode="json"))


def test_unreachable_emulator_is_unavailable_with_a_hint() -> None:
    with (
        EmulatorClient(f"http://127.0.0.1:{_free_port()}", "t") as client,
        pytest.raises(Unavailable) as err,
    ):
        client.request("GET", "/v1/agents")
    assert "cannot reach the local emulator" in err.value.message
    assert err.value.hint
    assert "nexus ai emulator status" in err.value.hint


def test_bad_port_setting_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXUS_EMULATOR_PORT", "eighty")
    from nexus_cli.errors import UsageError

    with pytest.raises(UsageError, match="NEXUS_EMULATOR_PORT='eighty'"):
        Emulator.resolve()


def test_archive_skips_vcs_venv_bytecode_and_is_reproducible(tmp_path: Path) -> None:
    for rel in (
        "agent.py",
        "pkg/mod.py",
        "pkg/__pycache__/mod.cpython-311.pyc",
        "x.pyc",
        ".git/HEAD",
        ".venv/bin/python",
        "data/notes.txt",
    ):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)
    first = pack(tmp_path)
    (tmp_path / "agent.py").touch()  # a new mtime changes nothing
    assert pack(tmp_path) == first
    with tarfile.open(fileobj=BytesIO(first), mode="r:gz") as tar:
        names = sorted(tar.getnames())
    assert names == ["agent.py", "data/notes.txt", "pkg/mod.py"]
