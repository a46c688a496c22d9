"""Dependencies are fetched as wheels for the image's Python, not the host's."""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nexus_emulator.runtime.base import BuildFailed
from nexus_emulator.runtime.targets import WheelTarget, image_target
from nexus_emulator.runtime.wheels import ensure_wheelhouse

HOST_PY = f"{sys.version_info.major}.{sys.version_info.minor}"
MACHINE = platform.machine()


def host_target() -> WheelTarget:
    libc, version = platform.libc_ver()
    return WheelTarget(HOST_PY, MACHINE, libc, version)


def test_platform_tags_cover_every_manylinux_up_to_the_image_glibc() -> None:
    tags = WheelTarget("3.12", "x86_64", "glibc", "2.36").platforms()
    assert tags[0] == "manylinux_2_36_x86_64"
    assert "manylinux_2_17_x86_64" in tags
    assert "manylinux_2_37_x86_64" not in tags
    assert "manylinux2014_x86_64" in tags
    musl = WheelTarget("3.12", "aarch64", "musl", "1.2").platforms()
    assert all(t.startswith("musllinux") for t in musl)


def test_only_the_hosts_own_python_uses_the_host_build() -> None:
    assert host_target().matches_host() == (sys.platform == "linux")
    assert not WheelTarget("3.99", MACHINE, "glibc", "2.36").matches_host()
    other_machine = "aarch64" if MACHINE != "aarch64" else "x86_64"
    assert not WheelTarget(HOST_PY, other_machine, "glibc", "2.36").matches_host()


def test_wheels_for_another_python_are_binary_wheels_for_it(tmp_path: Path) -> None:
    target = WheelTarget("3.12", MACHINE, "glibc", "2.36")
    lines: list[str] = []
    house = ensure_wheelhouse(tmp_path, ["markupsafe==2.1.5"], lines.append, target)
    wheels = [p.name for p in house.glob("*.whl")]
    assert len(wheels) == 1, wheels
    assert "cp312" in wheels[0], wheels
    assert "manylinux" in wheels[0], wheels
    assert any("Downloading wheels for Python 3.12" in line for line in lines)
    again: list[str] = []
    assert ensure_wheelhouse(tmp_path, ["markupsafe==2.1.5"], again.append, target) == house
    assert any("Using cached wheels" in line for line in again)


def test_a_dependency_without_a_wheel_for_the_image_is_a_clear_failure(tmp_path: Path) -> None:
    target = WheelTarget("3.12", MACHINE, "glibc", "2.36")
    with pytest.raises(BuildFailed) as failed:
        ensure_wheelhouse(tmp_path, ["nexus-no-such-package-zz==1.0"], lambda _: None, target)
    assert "no binary wheel" in failed.value.message
    assert any("nexus-no-such-package-zz" in line for line in failed.value.tail)


@pytest.fixture
def client() -> Iterator[Any]:
    import docker

    c = docker.from_env()
    yield c
    c.close()


@pytest.mark.docker
def test_the_image_is_asked_once_for_its_python(client: Any, tmp_path: Path) -> None:
    target = image_target(client, "nexus-base:bookworm-py3", tmp_path)
    assert target.python == "3.11"
    assert target.machine == MACHINE
    assert target.libc == "glibc"
    assert len(list(tmp_path.glob("*.json"))) == 1
    assert image_target(client, "nexus-base:bookworm-py3", tmp_path) == target
