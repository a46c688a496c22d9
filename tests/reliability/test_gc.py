"""Garbage collection: build folders, artifacts and secrets folders a killed deploy or a
delete left behind go on start and with POST /v1/admin/gc; what versions use stays."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.emulator.conftest import Emu, running_emulator, start_emulator, write_agent


def leftovers(home: Path, secrets_root: Path) -> list[Path]:
    made = [
        home / "builds" / "ghost" / "r1",
        home / "builds" / "echo" / "r7",
        home / "builds" / "src" / "ghost-r1",
        home / "artifacts" / "ghost" / "r1",
        secrets_root / "replica-that-went",
    ]
    for path in made:
        path.mkdir(parents=True, exist_ok=True)
    (made[0] / "build.log").write_text("cut short\n")
    return made


def test_gc_on_demand_and_on_start(quick: Emu, tmp_path: Path) -> None:
    from nexus_emulator.runtime import secrets_root

    emu = quick
    events = emu.deploy("echo", write_agent(tmp_path / "echo"))
    assert events[-1]["event"] == "result", events
    root = secrets_root(emu.home.resolve())
    made = leftovers(emu.home, root)
    answer = emu.client.post("/v1/admin/gc")
    assert answer.status_code == 200, answer.text
    removed = answer.json()
    assert {str(p) for p in made[:3]} <= set(removed["builds"]), removed
    assert str(made[3]) in removed["artifacts"]
    assert str(made[4]) in removed["secrets_folders"]
    assert not any(p.exists() for p in made)
    assert (emu.home / "artifacts" / "echo").is_dir()  # the version's own stays
    assert emu.client.post("/agents/echo/run", json={"input": "still"}).status_code == 200

    emu.stop()
    made = leftovers(emu.home, root)
    again = start_emulator(emu.home, emu.port, emu.runtime)
    emu.proc, emu.client = again.proc, again.client
    deadline = time.monotonic() + 20
    while any(p.exists() for p in made) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(p.exists() for p in made)
    assert emu.client.post("/agents/echo/run", json={"input": "back"}).status_code == 200

    assert emu.client.delete("/v1/agents/echo").status_code == 200
    emu.client.post("/v1/admin/gc")
    assert not root.exists()  # nothing of this home is left in /dev/shm
    assert not (emu.home / "builds" / "echo").exists()


def _image(tag: str, labels: dict[str, str]) -> None:
    # a label of its own: with the home's label alone it would be the first layer of the
    # home's agent images (the same step), which gc rightly keeps
    labels = {**labels, "dev.nexus.test": tag}
    flags = [f"--label={k}={v}" for k, v in labels.items()]
    subprocess.run(
        ["docker", "build", "-q", "-t", tag, *flags, "-"],
        input=b"FROM nexus-base:bookworm-py3\n",
        check=True,
        capture_output=True,
    )


def _present(tag: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode == 0


@pytest.mark.docker
def test_gc_removes_orphan_and_unused_deps_images(tmp_path: Path, free_port: int) -> None:
    from nexus_emulator.runtime.base import LABEL_AGENT, LABEL_HOME

    with running_emulator(tmp_path, free_port, "docker") as emu:
        events = emu.deploy("echo", write_agent(tmp_path / "echo"))
        assert events[-1]["event"] == "result", events
        home = str(emu.home.resolve())
        suffix = uuid.uuid4().hex[:8]
        orphan, deps = f"nexus/ghost-{suffix}:r1", f"nexus-deps:gc-test-{suffix}"
        _image(orphan, {LABEL_HOME: home, LABEL_AGENT: "ghost"})  # a build cut short
        _image(deps, {LABEL_HOME: home})  # no version is built on it
        try:
            removed = emu.client.post("/v1/admin/gc", timeout=120).json()
            assert orphan in removed["artifacts"], removed
            assert deps in removed["artifacts"], removed
            assert not _present(orphan)
            assert not _present(deps)
            run = emu.client.post("/agents/echo/run", json={"input": "kept"})
            assert run.status_code == 200, run.text  # its image was kept
        finally:
            subprocess.run(["docker", "rmi", "-f", orphan, deps], capture_output=True)
