"""The process runtime end to end: real virtualenvs, real subprocesses, real HTTP."""

from __future__ import annotations

import json
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from nexus_emulator.runtime import select_runtime
from nexus_emulator.runtime.base import Artifact, BuildFailed, BuildSpec, ReplicaSpec
from nexus_emulator.runtime.process import ProcessRuntime

from tests.emulator.runtime_support import (
    BROKEN,
    invoke,
    run,
    wait_healthy,
    wait_until,
    write_project,
)


def _spec(project: Path, revision: int, deps: list[str] | None = None) -> BuildSpec:
    return BuildSpec("hello", revision, project, "agent:Hello", deps or [])


def _replica(
    artifact: Artifact, revision: int = 1, env: dict[str, str] | None = None
) -> ReplicaSpec:
    return ReplicaSpec("hello", "development", revision, 0, artifact, environment=env or {})


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[ProcessRuntime]:
    rt = ProcessRuntime(tmp_path / "home")
    yield rt
    for handle in run(rt.replicas()):
        run(rt.stop(handle.id))


def test_build_start_invoke_stop(runtime: ProcessRuntime, tmp_path: Path) -> None:
    project = write_project(tmp_path / "proj", "hello")
    lines: list[str] = []
    artifact = run(runtime.build(_spec(project, 1), lines.append))

    root = Path(artifact.ref)
    assert root == runtime.home / "artifacts" / "hello" / "r1"
    assert (root / "app" / "agent.py").is_file()
    assert not (root / "app" / ".git").exists()
    assert (root / "sdk" / "nexus" / "ai" / "agents" / "serve.py").is_file()
    assert artifact.digest.startswith("sha256:")
    assert len(artifact.digest) == 71
    assert any("Built" in line for line in lines)

    handle = run(runtime.start(_replica(artifact, env={"GREETING": "bonjour"})))
    assert handle.id.startswith("pid:")
    assert handle.endpoint.startswith("http://127.0.0.1:")
    wait_healthy(handle.endpoint)
    out = invoke(handle.endpoint, {"input": "hi"})["output"]
    assert out["echo"] == "hi"
    assert out["greeting"] == "bonjour"
    assert out["six"] is None

    record = json.loads((runtime.home / "replicas" / f"pid-{handle.id[4:]}.json").read_text())
    assert record["agent"] == "hello"
    assert record["port"] == int(handle.endpoint.rsplit(":", 1)[1])
    assert [h.id for h in run(runtime.replicas())] == [handle.id]
    assert run(runtime.running(handle.id))
    assert any("agent ready" in line for line in run(runtime.logs(handle.id)))

    pid = int(handle.id[4:])
    run(runtime.stop(handle.id))
    assert not _pid_alive(pid)
    assert run(runtime.replicas()) == []
    run(runtime.stop(handle.id))  # already gone: no error


def test_same_inputs_same_digest_and_code_change_changes_it(
    runtime: ProcessRuntime, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "proj", "hello")
    first = run(runtime.build(_spec(project, 1), lambda _: None))
    again = run(runtime.build(_spec(project, 2), lambda _: None))
    write_project(project, "hello", tag="v2")
    changed = run(runtime.build(_spec(project, 3), lambda _: None))
    assert first.digest == again.digest != changed.digest


def test_dependencies_from_cached_host_wheels(runtime: ProcessRuntime, tmp_path: Path) -> None:
    project = write_project(tmp_path / "proj", "hello", deps=["six"])
    first: list[str] = []
    artifact = run(runtime.build(_spec(project, 1, ["six"]), first.append))
    assert any("Building wheels for: six" in line for line in first)
    second: list[str] = []
    write_project(project, "hello", tag="v2", deps=["six"])
    artifact2 = run(runtime.build(_spec(project, 2, ["six"]), second.append))
    assert any("Using cached wheels" in line for line in second)
    assert not any("Building wheels" in line for line in second)

    handle = run(runtime.start(_replica(artifact2, revision=2)))
    wait_healthy(handle.endpoint)
    out = invoke(handle.endpoint, {"input": "x"})["output"]
    assert out["six"]
    assert out["tag"] == "v2"
    assert Path(artifact.ref).is_dir()  # the older revision's artifact stays


def test_failing_dependency_raises_build_failed_with_pip_tail(
    runtime: ProcessRuntime, tmp_path: Path
) -> None:
    bad = f"nexus-no-such-package-{uuid.uuid4().hex[:8]}"
    project = write_project(tmp_path / "proj", "hello", deps=[bad])
    with pytest.raises(BuildFailed) as info:
        run(runtime.build(_spec(project, 1, [bad]), lambda _: None))
    tail = "\n".join(info.value.tail)
    assert "pip exited" in info.value.message
    assert "No matching distribution found" in tail or "Could not find a version" in tail
    assert not (runtime.home / "artifacts" / "hello" / "r1").exists()


def test_syntax_error_replica_exits_with_traceback_in_logs(
    runtime: ProcessRuntime, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "proj", "hello", code=BROKEN)
    artifact = run(runtime.build(_spec(project, 1), lambda _: None))
    handle = run(runtime.start(_replica(artifact)))
    assert wait_until(lambda: not run(runtime.running(handle.id)))
    logs = "\n".join(run(runtime.logs(handle.id)))
    assert "SyntaxError" in logs
    assert "Traceback" in logs
    [listed] = run(runtime.replicas())
    assert listed.id == handle.id
    assert not listed.running
    assert listed.endpoint == ""


def test_replicas_survive_an_emulator_restart(runtime: ProcessRuntime, tmp_path: Path) -> None:
    project = write_project(tmp_path / "proj", "hello")
    artifact = run(runtime.build(_spec(project, 1), lambda _: None))
    handle = run(runtime.start(_replica(artifact)))
    wait_healthy(handle.endpoint)

    restarted = ProcessRuntime(runtime.home)  # a new emulator process would do the same
    [found] = run(restarted.replicas())
    assert found == handle
    assert any("agent ready" in line for line in run(restarted.logs(handle.id)))
    run(restarted.stop(handle.id))
    pid = int(handle.id[4:])
    runtime._children[pid].wait(timeout=10)  # reap it: the first runtime is its parent
    assert run(restarted.replicas()) == []


def test_a_dead_or_reused_pid_is_not_running(runtime: ProcessRuntime, tmp_path: Path) -> None:
    project = write_project(tmp_path / "proj", "hello")
    artifact = run(runtime.build(_spec(project, 1), lambda _: None))
    handle = run(runtime.start(_replica(artifact)))
    wait_healthy(handle.endpoint)
    record_path = runtime.home / "replicas" / f"pid-{handle.id[4:]}.json"
    record = json.loads(record_path.read_text())
    record["start_ticks"] = (
        record["start_ticks"] - 1
    )  # as if the pid now belonged to another process
    record_path.write_text(json.dumps(record))
    stranger = ProcessRuntime(runtime.home)
    assert not run(stranger.running(handle.id))
    run(stranger.stop(handle.id))  # must not signal a process that is not the replica
    assert _pid_alive(int(handle.id[4:]))
    os.killpg(int(handle.id[4:]), signal.SIGKILL)
    runtime._children[int(handle.id[4:])].wait(timeout=10)


def test_image_is_refused(runtime: ProcessRuntime, tmp_path: Path) -> None:
    spec = BuildSpec("hello", 1, tmp_path, "agent:Hello", image="python:3.11-slim")
    with pytest.raises(BuildFailed, match="--image needs Docker"):
        run(runtime.build(spec, lambda _: None))


def test_select_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert select_runtime("process", tmp_path).name == "process"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    chosen = select_runtime("auto", tmp_path)
    assert chosen.name == "process"
    assert "no container isolation" in chosen.isolation
    with pytest.raises(ValueError, match="unknown runtime"):
        select_runtime("podman", tmp_path)
