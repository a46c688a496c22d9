"""The Docker runtime end to end: real image builds, real containers, real HTTP."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from docker.errors import NotFound
from nexus_emulator.runtime import select_runtime
from nexus_emulator.runtime.base import (
    LABEL_AGENT,
    LABEL_ENV,
    LABEL_HOME,
    Artifact,
    BuildFailed,
    BuildSpec,
    ReplicaFailed,
    ReplicaSpec,
    RuntimeUnavailable,
)
from nexus_emulator.runtime.docker import DockerRuntime
from nexus_emulator.runtime.docker_build import agent_tag

from tests.emulator.runtime_support import (
    BROKEN,
    invoke,
    run,
    wait_healthy,
    wait_until,
    write_project,
)

pytestmark = pytest.mark.docker
SESSION = uuid.uuid4().hex[:6]
Dock = tuple[DockerRuntime, Any]  # the runtime and a docker-py client
Hello = tuple[str, Artifact]  # an agent name and its built image


def cleanup(client: Any, home: Path) -> None:
    """Remove every container and image labelled with ``home``."""
    label = {"label": f"{LABEL_HOME}={home}"}
    for container in client.containers.list(all=True, filters=label):
        container.remove(force=True)
    # agent images first: the dependency images are their parents
    images = sorted(client.images.list(filters=label), key=lambda i: LABEL_AGENT not in i.labels)
    for image in images:
        for tag in image.tags:
            client.images.remove(tag)
        with contextlib.suppress(NotFound):
            client.images.remove(image.id)


@pytest.fixture(scope="module")
def dock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dock]:
    home = tmp_path_factory.mktemp("docker-home")
    runtime = DockerRuntime(home)
    client = docker.from_env()
    yield runtime, client
    run(runtime.close())
    cleanup(client, runtime.home)
    client.close()


@pytest.fixture(scope="module")
def hello(dock: Dock, tmp_path_factory: pytest.TempPathFactory) -> Hello:
    runtime, _ = dock
    name = f"rt-hello-{SESSION}"
    project = write_project(tmp_path_factory.mktemp("hello"), name)
    artifact = run(runtime.build(BuildSpec(name, 1, project, "agent:Hello"), lambda _: None))
    return name, artifact


def test_another_home_building_the_same_agent_leaves_this_one_alone(
    dock: Dock, hello: Hello, tmp_path: Path
) -> None:
    """Two emulators on one engine (a developer's and a test session's): the same agent
    name and revision built, then removed, by the other home moves or removes nothing here."""
    _, client = dock
    name, artifact = hello
    other = DockerRuntime(tmp_path / "other-home")
    try:
        project = write_project(tmp_path / "same", name)
        theirs = run(other.build(BuildSpec(name, 1, project, "agent:Hello"), lambda _: None))
        assert theirs.ref != artifact.ref
        assert client.images.get(theirs.ref).labels[LABEL_HOME] == str(other.home)
        assert client.images.get(artifact.ref).id == artifact.digest  # still ours
        run(other.remove_artifacts())
        with pytest.raises(docker.errors.ImageNotFound):
            client.images.get(theirs.ref)
        assert client.images.get(artifact.ref).id == artifact.digest
    finally:
        run(other.close())
        cleanup(client, other.home)


def _replica(agent: str, artifact: Artifact, **extra: Any) -> ReplicaSpec:
    return ReplicaSpec(agent, "development", 1, 0, artifact, **extra)


def test_build_tags_and_labels_the_image(dock: Dock, hello: Hello) -> None:
    runtime, client = dock
    name, artifact = hello
    image = client.images.get(artifact.ref)
    assert artifact.ref == agent_tag(runtime.home, name, 1)
    assert artifact.ref.startswith(f"nexus/{name}:r1-")
    assert artifact.digest == image.id
    assert artifact.base == "nexus-base:bookworm-py3"  # no python:*-slim here, nothing pullable
    assert image.labels[LABEL_AGENT] == name
    assert image.labels[LABEL_HOME] == str(runtime.home)
    config = image.attrs["Config"]
    assert config["User"] == "10001:10001"
    assert config["WorkingDir"] == "/app"
    assert config["Cmd"] == ["python3", "-m", "nexus.ai.agents.serve"]
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["PYTHONPATH"] == "/app:/opt/nexus/sdk"
    assert env["NEXUS_ENTRYPOINT"] == "agent:Hello"
    assert env["PORT"] == "8080"
    assert env["PATH"].startswith("/opt/venv/bin:")
    assert "8080/tcp" in config["ExposedPorts"]


def test_replica_runs_hardened_and_answers(dock: Dock, hello: Hello) -> None:
    runtime, client = dock
    name, artifact = hello
    spec = _replica(
        name,
        artifact,
        nano_cpus=500_000_000,
        memory_bytes=128 * 2**20,
        environment={"GREETING": "bonjour"},
    )
    handle = run(runtime.start(spec))
    try:
        assert handle.endpoint.startswith("http://127.0.0.1:")
        wait_healthy(handle.endpoint)
        out = invoke(handle.endpoint, {"input": "hi"})["output"]
        assert out == {
            "echo": "hi",
            "tag": "v1",
            "greeting": "bonjour",
            "uid": 10001,
            "code_writable": False,
            "six": None,
        }
        attrs = client.api.inspect_container(handle.id)
        host = attrs["HostConfig"]
        assert host["ReadonlyRootfs"] is True
        assert host["CapDrop"] == ["ALL"]
        assert host["SecurityOpt"] == ["no-new-privileges"]
        assert host["PidsLimit"] == 256
        assert host["Tmpfs"] == {"/tmp": "rw,size=64m"}
        assert host["NanoCpus"] == 500_000_000
        assert host["Memory"] == 128 * 2**20
        assert host["RestartPolicy"]["Name"] in ("no", "")
        assert [b["HostIp"] for b in host["PortBindings"]["8080/tcp"]] == ["127.0.0.1"]
        assert attrs["Config"]["User"] == "10001:10001"
        assert attrs["Mounts"] == []
        assert not host.get("Binds")
        labels = attrs["Config"]["Labels"]
        assert labels[LABEL_ENV] == "development"
        assert labels[LABEL_HOME] == str(runtime.home)
        assert attrs["Name"].startswith(f"/nexus-{name}-development-r1-0-")
        # its own address on the agents' network answers from here too (no port proxy)
        ip = attrs["NetworkSettings"]["Networks"]["nexus-agents"]["IPAddress"]
        assert handle.address == f"http://{ip}:8080"
        assert invoke(handle.address, {"input": "direct"})["output"]["echo"] == "direct"

        [listed] = [h for h in run(runtime.replicas()) if h.id == handle.id]
        assert listed.running
        assert listed.endpoint == handle.endpoint
        assert listed.address == handle.address
        assert listed.agent == name
        assert run(runtime.running(handle.id))
        assert any("agent ready" in line for line in run(runtime.logs(handle.id)))
        other = DockerRuntime(runtime.home.parent / "another-home")
        assert run(other.replicas()) == []  # another emulator never sees these replicas
    finally:
        run(runtime.stop(handle.id))
    with pytest.raises(NotFound):
        client.containers.get(handle.id)
    assert handle.id not in [h.id for h in run(runtime.replicas())]
    run(runtime.stop(handle.id))  # already gone: no error


def test_code_only_rebuild_reuses_the_dependency_layer(dock: Dock, tmp_path: Path) -> None:
    runtime, client = dock
    name = f"rt-deps-{SESSION}"
    project = write_project(tmp_path / "proj", name, deps=["six"])
    first: list[str] = []
    t0 = time.monotonic()
    a1 = run(runtime.build(BuildSpec(name, 1, project, "agent:Hello", ["six"]), first.append))
    first_s = time.monotonic() - t0
    write_project(project, name, tag="v2", deps=["six"])
    second: list[str] = []
    t0 = time.monotonic()
    a2 = run(runtime.build(BuildSpec(name, 2, project, "agent:Hello", ["six"]), second.append))
    rebuild_s = time.monotonic() - t0
    print(f"first build {first_s:.2f} s, code-only rebuild {rebuild_s:.2f} s")

    assert any("Using cached wheels" in line for line in second)
    assert any("Using cached dependency image" in line for line in second)
    layers1 = client.images.get(a1.digest).attrs["RootFS"]["Layers"]
    layers2 = client.images.get(a2.digest).attrs["RootFS"]["Layers"]
    base = client.images.get("nexus-base:bookworm-py3").attrs["RootFS"]["Layers"]
    shared = len(base) + 2  # the virtualenv layer and the SDK layer
    assert layers1[:shared] == layers2[:shared]
    assert layers1 != layers2
    sdk_step = next(i for i, line in enumerate(second) if "COPY sdk/" in line)
    assert "Using cache" in second[sdk_step + 1]

    handle = run(runtime.start(_replica(name, a2)))
    try:
        wait_healthy(handle.endpoint)
        out = invoke(handle.endpoint, {"input": "x"})["output"]
        assert out["tag"] == "v2"
        assert out["six"]
    finally:
        run(runtime.stop(handle.id))


def test_unchanged_inputs_give_the_same_digest(dock: Dock, tmp_path: Path) -> None:
    runtime, client = dock
    name = f"rt-same-{SESSION}"
    project = write_project(tmp_path / "proj", name)
    a1 = run(runtime.build(BuildSpec(name, 1, project, "agent:Hello"), lambda _: None))
    a2 = run(runtime.build(BuildSpec(name, 2, project, "agent:Hello"), lambda _: None))
    assert a1.digest == a2.digest
    assert a1.ref != a2.ref
    assert client.images.get(a2.ref).id == a1.digest
    write_project(project, name, tag="v2")
    a3 = run(runtime.build(BuildSpec(name, 3, project, "agent:Hello"), lambda _: None))
    assert a3.digest != a1.digest


def test_failing_dependency_raises_build_failed_with_pip_tail(dock: Dock, tmp_path: Path) -> None:
    runtime, _ = dock
    bad = f"nexus-no-such-package-{uuid.uuid4().hex[:8]}"
    project = write_project(tmp_path / "proj", f"rt-bad-{SESSION}", deps=[bad])
    spec = BuildSpec(f"rt-bad-{SESSION}", 1, project, "agent:Hello", [bad])
    with pytest.raises(BuildFailed) as info:
        run(runtime.build(spec, lambda _: None))
    tail = "\n".join(info.value.tail)
    assert "No matching distribution found" in tail or "Could not find a version" in tail


def test_syntax_error_replica_exits_with_traceback_in_logs(dock: Dock, tmp_path: Path) -> None:
    runtime, _ = dock
    name = f"rt-broken-{SESSION}"
    project = write_project(tmp_path / "proj", name, code=BROKEN)
    lines: list[str] = []
    artifact = run(runtime.build(BuildSpec(name, 1, project, "agent:Hello"), lines.append))
    assert any("SyntaxError" in line for line in lines)  # compileall's report, build goes on
    try:
        handle = run(runtime.start(_replica(name, artifact)))
    except ReplicaFailed as exc:  # it died before its port was read
        logs = "\n".join(exc.tail)
    else:
        assert wait_until(lambda: not run(runtime.running(handle.id)))
        logs = "\n".join(run(runtime.logs(handle.id)))
        [listed] = [h for h in run(runtime.replicas()) if h.id == handle.id]
        assert not listed.running
        assert listed.endpoint == ""
        run(runtime.stop(handle.id))
    assert "Traceback" in logs
    assert "SyntaxError" in logs


def test_bring_your_own_image(dock: Dock, hello: Hello) -> None:
    runtime, client = dock
    _name, built = hello
    artifact = run(runtime.build(BuildSpec("byo", 1, Path("."), "x:Y", image=built.ref), print))
    assert artifact == Artifact(ref=built.ref, digest=built.digest, base=None)
    handle = run(runtime.start(_replica("byo", artifact)))
    try:
        wait_healthy(handle.endpoint)
    finally:
        run(runtime.stop(handle.id))
    run(runtime.remove_artifact(artifact))  # never deletes a user's image
    assert client.images.get(built.ref).id == built.digest

    missing = f"nexus-test-missing-{SESSION}:latest"
    with pytest.raises(BuildFailed, match="not present locally"):
        run(runtime.build(BuildSpec("byo", 2, Path("."), "x:Y", image=missing), print))


def test_remove_artifact_deletes_the_image(dock: Dock, tmp_path: Path) -> None:
    runtime, client = dock
    name = f"rt-gone-{SESSION}"
    project = write_project(tmp_path / "proj", name)
    artifact = run(runtime.build(BuildSpec(name, 1, project, "agent:Hello"), lambda _: None))
    parent = client.images.get(artifact.digest).attrs["Parent"]  # a build step of its own
    assert parent
    run(runtime.remove_artifact(artifact))
    with pytest.raises(NotFound):
        client.images.get(artifact.digest)
    with pytest.raises(NotFound):  # not left dangling
        client.images.get(parent)
    run(runtime.remove_artifact(artifact))  # already gone: no error


def test_remove_artifacts_deletes_every_agent_image_of_the_home(dock: Dock, tmp_path: Path) -> None:
    _, client = dock
    runtime = DockerRuntime(tmp_path / "home")  # its own home: the module's images stay
    name = f"rt-orphan-{SESSION}"
    project = write_project(tmp_path / "proj", name)
    # built, then never recorded as a version (as when the emulator dies mid-deploy)
    first = run(runtime.build(BuildSpec(name, 1, project, "agent:Hello"), lambda _: None))
    (project / "agent.py").write_text((project / "agent.py").read_text() + "\n# r2\n")
    second = run(runtime.build(BuildSpec(name, 2, project, "agent:Hello"), lambda _: None))
    run(runtime.remove_artifacts())
    run(runtime.close())
    for artifact in (first, second):
        with pytest.raises(NotFound):
            client.images.get(artifact.digest)
    labels = [f"{LABEL_HOME}={runtime.home}", LABEL_AGENT]
    assert client.images.list(filters={"label": labels}) == []


def test_check_and_selection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = select_runtime("auto", tmp_path)
    assert runtime.name == "docker"
    assert "read-only" in runtime.isolation
    run(runtime.check())
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    with pytest.raises(RuntimeUnavailable) as info:
        run(DockerRuntime(tmp_path).check())
    assert info.value.hint
    assert "--runtime process" in info.value.hint
