"""Base image selection and the offline base image build, against the real engine."""

from __future__ import annotations

import contextlib
import datetime
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from nexus_emulator.runtime.base import LABEL_HOME, BuildSpec, ReplicaSpec
from nexus_emulator.runtime.docker import DockerRuntime
from nexus_emulator.runtime.images import (
    LOCAL_BASE,
    BaseImageError,
    build_base_image,
    resolve_base_image,
)

from tests.cache import locked
from tests.emulator.runtime_support import invoke, run, wait_healthy, write_project

SESSION = uuid.uuid4().hex[:6]
# A python:*-slim look-alike: Python under /usr/local/bin, nothing under /usr/bin.
SLIM_LIKE = f"""\
FROM {LOCAL_BASE}
RUN mv /usr/bin/python3.11 /usr/local/bin/python3.11 \\
 && ln -s python3.11 /usr/local/bin/python3 \\
 && rm -f /usr/bin/python3
ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
"""


@pytest.fixture
def client() -> Iterator[Any]:
    engine = docker.from_env()
    yield engine
    engine.close()


@pytest.mark.docker
def test_configured_base_image_wins(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXUS_BASE_IMAGE", LOCAL_BASE)
    lines: list[str] = []
    assert resolve_base_image(client, "3.12", None, lines.append) == LOCAL_BASE
    assert not any("Pulling" in line for line in lines)


@pytest.mark.docker
def test_configured_base_image_missing_is_a_clear_error(client: Any) -> None:
    missing = f"nexus-test-missing-base-{SESSION}:1"
    with pytest.raises(BaseImageError) as info:
        resolve_base_image(client, None, missing, lambda _: None)
    assert "is not present locally and could not be pulled" in info.value.message
    assert info.value.hint
    assert "nexus ai emulator base-image" in info.value.hint


@pytest.mark.docker
def test_local_slim_image_is_preferred_then_the_nexus_base(client: Any) -> None:
    version = f"3.{uuid.uuid4().int % 10**6 + 100}"
    slim = f"python:{version}-slim"
    lines: list[str] = []
    # not present, the pull fails (no registry here) -> the local nexus base, with a note
    assert resolve_base_image(client, version, None, lines.append) == LOCAL_BASE
    assert any(line.startswith(f"Could not pull {slim}") for line in lines)
    assert any("project asks for" in line for line in lines)
    again: list[str] = []
    resolve_base_image(client, version, None, again.append)
    assert not any("Pulling" in line for line in again)  # a failed pull is remembered

    client.images.get(LOCAL_BASE).tag("python", f"{version}-slim")
    try:
        assert resolve_base_image(client, version, None, lambda _: None) == slim
    finally:
        client.images.remove(slim)


@pytest.mark.docker
def test_agent_builds_and_runs_on_a_slim_layout_base(client: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    tag = f"nexus-test-slim-like:{SESSION}"
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "Dockerfile").write_text(SLIM_LIKE)
    client.images.build(
        path=str(tmp_path / "base"), tag=tag, labels={LABEL_HOME: str(home)}, rm=True, forcerm=True
    )
    runtime = DockerRuntime(home, base_image=tag)
    name = f"rt-slim-{SESSION}"
    project = write_project(tmp_path / "proj", name, deps=["six"])
    handle = None
    try:
        artifact = run(
            runtime.build(BuildSpec(name, 1, project, "agent:Hello", ["six"]), lambda _: None)
        )
        assert artifact.base == tag
        handle = run(runtime.start(ReplicaSpec(name, "development", 1, 0, artifact)))
        wait_healthy(handle.endpoint)
        assert invoke(handle.endpoint, {"input": "x"})["output"]["six"]
    finally:
        if handle is not None:
            run(runtime.stop(handle.id))
        run(runtime.close())
        label = {"label": f"{LABEL_HOME}={home}"}
        for image in sorted(client.images.list(filters=label), key=lambda i: tag in i.tags):
            for ref in image.tags:
                client.images.remove(ref)


def test_base_image_build_needs_debootstrap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without debootstrap
    with pytest.raises(BaseImageError) as info:
        build_base_image("nexus-test-never:1", log=lambda _: None)
    assert "debootstrap is not installed" in info.value.message
    assert info.value.hint
    assert "apt-get install -y debootstrap && " in info.value.hint
    assert "ai emulator base-image" in info.value.hint


@pytest.mark.debootstrap
def test_base_image_build_needs_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(BaseImageError) as info:
        build_base_image("nexus-test-never:1", log=lambda _: None)
    assert "needs root" in info.value.message
    # the nexus beside this Python: sudo does not keep a virtualenv's PATH
    assert (
        info.value.hint
        == f"run `sudo {Path(sys.executable).parent / 'nexus'} ai emulator base-image`"
    )


@pytest.mark.docker
@pytest.mark.debootstrap
@pytest.mark.root
@pytest.mark.slow
def test_build_base_image_for_real(client: Any) -> None:
    """debootstrap from the Debian mirror once a week per machine; else its cached root fs."""
    tag = f"nexus-test-base:{SESSION}"
    lines: list[str] = []
    week = datetime.date.today().strftime("%G-w%V")
    try:
        with locked("rootfs") as folder:
            for old in folder.glob("bookworm-*.tar"):
                if old.name != f"bookworm-{week}.tar":
                    old.unlink()
            archive = folder / f"bookworm-{week}.tar"
            cached = archive.is_file()
            image_id = build_base_image(tag, log=lines.append, rootfs_cache=archive)
        assert archive.is_file()
        assert client.images.get(tag).id == image_id
        out = client.containers.run(
            tag,
            ["python3", "-c", "import ssl, venv, sys; print(sys.version_info[:2])"],
            remove=True,
        )
        assert out.strip() == b"(3, 11)"
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(tag)
    if cached:
        assert lines[0] == f"Using the cached root filesystem {archive}"
    else:
        assert lines[0].startswith("Running debootstrap --variant=minbase")


def weekly_rootfs(folder: Path) -> Path:
    """This ISO week's cached debootstrap archive (older ones go)."""
    week = datetime.date.today().strftime("%G-w%V")
    for old in folder.glob("bookworm-*.tar"):
        if old.name != f"bookworm-{week}.tar":
            old.unlink()
    return folder / f"bookworm-{week}.tar"


@pytest.mark.docker
@pytest.mark.debootstrap
def test_no_base_image_and_no_root_says_the_one_command(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first deploy where nothing can be pulled, no local base exists and this user
    cannot build one: one message, and the exact command (sudo, the nexus of this venv)."""
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    version = f"3.{uuid.uuid4().int % 10**6 + 100}"
    missing = f"nexus-test-nobase-{SESSION}:1"
    with pytest.raises(BaseImageError) as info:
        resolve_base_image(client, version, None, lambda _: None, local=missing)
    assert f"python:{version}-slim is not present and cannot be pulled" in info.value.message
    assert f"{missing} cannot be built here" in info.value.message
    nexus = Path(sys.executable).parent / "nexus"
    assert nexus.is_file()
    assert info.value.hint
    assert info.value.hint.startswith(f"run `sudo {nexus} ai emulator base-image`, then deploy")
    assert "--runtime process" in info.value.hint
    assert not client.images.list(name=missing.split(":")[0])


@pytest.mark.docker
@pytest.mark.debootstrap
@pytest.mark.root
@pytest.mark.slow
def test_no_base_image_is_built_by_the_first_build_when_it_can_be(client: Any) -> None:
    """As root with debootstrap, the build that finds no base image makes one, its
    progress in the build's log, and uses it."""
    version = f"3.{uuid.uuid4().int % 10**6 + 100}"
    local = f"nexus-test-autobase:{SESSION}"
    lines: list[str] = []
    try:
        with locked("rootfs") as folder:
            archive = weekly_rootfs(folder)
            chosen = resolve_base_image(
                client, version, None, lines.append, local=local, rootfs_cache=archive
            )
        assert chosen == local
        building = [line for line in lines if line.startswith("No Python base image")]
        assert building == [
            f"No Python base image: python:{version}-slim cannot be pulled; building {local} "
            "from Debian packages (debootstrap, once per machine: about a minute)"
        ]
        assert any(line.startswith(f"Built {local}") for line in lines)
        out = client.containers.run(local, ["python3", "-c", "print(1 + 1)"], remove=True)
        assert out.strip() == b"2"
        again: list[str] = []
        assert resolve_base_image(client, version, None, again.append, local=local) == local
        assert not any(line.startswith("No Python base image") for line in again)
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(local)
