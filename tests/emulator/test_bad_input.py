"""Bad input at the emulator's door: bodies over the limit, empty secret names, sources
that are not archives, and a home only its owner can read."""

from __future__ import annotations

import io
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.emulator.conftest import Emu, running_emulator, write_agent
from tests.emulator.test_api import result

LIMIT = 100_000


@pytest.fixture
def small(tmp_path: Path, free_port: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emu]:
    monkeypatch.setenv("NEXUS_MAX_BODY", str(LIMIT))
    with running_emulator(tmp_path, free_port, "process") as e:
        yield e


def _error(answer: httpx.Response) -> dict[str, object]:
    body = answer.json()
    assert set(body) == {"error"}, body
    error: dict[str, object] = body["error"]
    return error


def test_body_over_the_limit_is_413_in_the_error_shape(small: Emu, tmp_path: Path) -> None:
    result(small.deploy("echo", write_agent(tmp_path / "echo")))
    fits = small.client.post("/agents/echo/run", json={"input": "x" * (LIMIT - 100)})
    assert fits.status_code == 200, fits.text
    for path in ("/agents/echo/run", "/v1/agents/echo/stream", "/agents/echo/tasks"):
        big = small.client.post(path, json={"input": "x" * 10_000_000})
        assert big.status_code == 413, big.text
        error = _error(big)
        assert error["code"] == "usage"
        assert f"over the limit of {LIMIT}" in str(error["message"])
        assert "NEXUS_MAX_BODY" in str(error["hint"])

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
        yield b'{"input": "'
        for _ in range(30):
            yield b"y" * 10_000
        yield b'"}'

    chunked = small.client.post("/agents/echo/run", content=chunks())
    assert chunked.status_code == 413, chunked.text
    assert small.client.get("/v1/agents/echo/tasks").json() == []  # none was queued


def test_empty_secret_name_is_a_usage_error(small: Emu) -> None:
    for method in ("PUT", "DELETE"):
        answer = small.client.request(
            method, "/v1/agents/echo/secrets/", json={"value": "v"}, follow_redirects=False
        )
        assert answer.status_code == 400, answer.text
        assert "invalid secret name ''" in str(_error(answer)["message"])


def _tar_gz(name: str, data: bytes = b"x = 1\n", link: str | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo(name)
        if link is None:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        else:
            info.type, info.linkname = tarfile.SYMTYPE, link
            tar.addfile(info)
    return buf.getvalue()


def test_sources_must_be_tar_gz_archives(small: Emu) -> None:
    import gzip

    refused = {
        b"not an archive at all": "not a readable tar.gz",
        gzip.compress(b"gzip, but no tar inside" * 40): "not a readable tar.gz",
        _tar_gz("../outside.py"): "cannot be unpacked safely",
        _tar_gz("passwd", link="/etc/passwd"): "cannot be unpacked safely",
        _tar_gz("up", link="../../x"): "cannot be unpacked safely",
        _tar_gz("agent.py")[:-30]: "not a readable tar.gz",
    }
    for content, reason in refused.items():
        answer = small.client.post("/v1/sources", content=content)
        assert answer.status_code == 400, answer.text
        assert reason in str(_error(answer)["message"]), answer.text
    assert not list((small.home / "sources").glob("*"))  # nothing kept, not even a part
    ok = small.client.post("/v1/sources", content=_tar_gz("agent.py"))
    assert ok.status_code == 200, ok.text
    assert ok.json()["source_id"].startswith("sha256:")


def test_home_is_owner_only(small: Emu) -> None:
    assert stat.S_IMODE(small.home.stat().st_mode) == 0o700
    small.client.post("/v1/sources", content=_tar_gz("agent.py"))  # a write: the WAL exists
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        path = small.home / name
        assert path.exists(), name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
