"""Test your agents on a real Nexus emulator from pytest (docs/testing.md).

Installed with Nexus as a ``pytest11`` plugin, so a project's tests just ask for
the fixtures:

- ``nexus_emulator`` (session): an emulator of the session's own, started like a
  test container: a fresh ``NEXUS_HOME`` under pytest's temp directory, a free
  port, the Docker runtime when an engine answers, else local processes
  (``--nexus-runtime`` chooses). The session's ``NEXUS_HOME`` and
  ``NEXUS_EMULATOR_PORT`` point at it, so ``nexus`` commands and
  ``nexus.ai.Client()`` in the tests reach it too. At the end its replicas are
  removed and it stops.
- ``nexus_deploy`` (session): ``nexus_deploy(path=None, env=..., name=None)`` deploys a
  project (by default the project under test) and returns the ``DeployResult``;
  deploying unchanged content again changes nothing.
- ``nexus_agent`` (session): the project under test, deployed once; ``.run(input)``
  answers its output, ``.stream(input)`` its streamed text, ``.client`` is a Client.
- ``nexus_client``: a ``nexus.ai.Client`` for the emulator.

The project under test is the ``nexus_project`` ini option (relative to the
rootdir), else the rootdir when it holds a nexus.toml. Nothing here runs at import:
a session that asks for none of the fixtures starts nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from nexus.ai import Client
    from nexus_api.models import DeployResult
    from nexus_local.lifecycle import Emulator
    from nexus_local.provider import LocalProvider


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nexus", "Nexus emulator fixtures")
    group.addoption(
        "--nexus-runtime",
        choices=("auto", "docker", "process"),
        default=None,
        help="where the fixtures' emulator runs agents (default: docker when an engine "
        "answers, else process; also the nexus_runtime ini option)",
    )
    group.addoption(
        "--nexus-emulator",
        choices=("auto", "container", "process"),
        default=None,
        help="how the fixtures' emulator itself runs: a container (testcontainers, an image "
        "built offline) or a local process (default auto: a container where Docker answers "
        "and the image can be built; also the nexus_emulator ini option)",
    )
    parser.addini("nexus_emulator", "auto, container or process", default="auto")
    parser.addini("nexus_project", "the project under test, relative to the rootdir")
    parser.addini("nexus_env", "the environment nexus_agent deploys to", default="development")
    parser.addini("nexus_runtime", "auto, docker or process", default="auto")


@dataclass
class NexusEmulator:
    """The session's emulator: where it listens and how to reach it."""

    emulator: Emulator
    runtime: str
    provider: LocalProvider
    mode: str = "process"  # or "container"

    @property
    def url(self) -> str:
        return self.emulator.url()

    @property
    def home(self) -> Path:
        return self.emulator.home

    def token(self) -> str:
        return self.emulator.token()

    def client(self) -> Client:
        from nexus.ai import Client

        return Client(self.url, self.token())


@dataclass
class DeployedAgent:
    """An agent deployed on the session's emulator."""

    name: str
    env: str
    result: DeployResult
    client: Client

    def run(self, input: Any, **context: Any) -> Any:
        """The agent's output for ``input``; ``context`` e.g. ``session_id=…, actor_id=…``."""
        session, actor = context.pop("session_id", None), context.pop("actor_id", None)
        answer = self.client.agents.run(
            self.name, input, context or None, self.env, session_id=session, actor_id=actor
        )
        return answer["output"]

    def stream(self, input: Any) -> str:
        """The agent's streamed answer, its chunks joined."""
        with self.client.agents.stream(self.name, input, None, self.env) as chunks:
            return "".join(chunk.text for chunk in chunks)


def _runtime(config: pytest.Config) -> str | None:
    chosen = config.getoption("--nexus-runtime") or config.getini("nexus_runtime") or "auto"
    if chosen not in ("auto", "docker", "process"):
        raise pytest.UsageError(f"nexus_runtime = {chosen!r}: use auto, docker or process")
    return None if chosen == "auto" else str(chosen)


def _mode(config: pytest.Config) -> str:
    chosen = config.getoption("--nexus-emulator") or config.getini("nexus_emulator") or "auto"
    if chosen not in ("auto", "container", "process"):
        raise pytest.UsageError(f"nexus_emulator = {chosen!r}: use auto, container or process")
    return str(chosen)


def _container_unavailable() -> str | None:
    """Why the emulator cannot be a container here (cheap checks), or None."""
    try:
        import docker
        import testcontainers  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed (pip install 'nexus-agents[testing]')"
    from nexus_local.emulator_container import NoContainer, socket_of

    try:
        client = docker.from_env(timeout=5)
        try:
            client.ping()
            socket_of(client)  # an engine a container with the host's network can use
        finally:
            client.close()
    except NoContainer as exc:
        return str(exc)
    except Exception as exc:
        return f"no Docker engine answers ({type(exc).__name__})"
    return None


def pytest_report_header(config: pytest.Config) -> str | None:
    mode = _mode(config)
    if mode == "process" or not _uses_nexus(config):
        return (
            "nexus: the fixtures' emulator runs as a local process" if mode == "process" else None
        )
    why = _container_unavailable()
    config.stash[_WHY] = why
    if why is None:
        return "nexus: the fixtures' emulator runs as a container (--nexus-emulator)"
    return f"nexus: the fixtures' emulator runs as a local process: {why}"


_WHY = pytest.StashKey[str | None]()


def _uses_nexus(config: pytest.Config) -> bool:
    return bool(config.getini("nexus_project")) or (Path(config.rootpath) / "nexus.toml").is_file()


def project_under_test(config: pytest.Config) -> Path:
    named = config.getini("nexus_project")
    root = Path(config.rootpath)
    path = (root / named) if named else root
    if not (path / "nexus.toml").is_file():
        raise pytest.UsageError(
            f"no nexus.toml in {path}: set the nexus_project ini option to the agent's folder, "
            "or pass a path to nexus_deploy"
        )
    return path


@pytest.fixture(scope="session")
def nexus_emulator(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[NexusEmulator]:
    """An emulator for this session (a fresh home, a free port); stopped, replicas
    removed, at the end."""
    import socket

    from nexus_local.admin import reset
    from nexus_local.emulator_container import wait_ready
    from nexus_local.lifecycle import Emulator, start
    from nexus_local.provider import LocalProvider

    home = tmp_path_factory.mktemp("nexus-home").resolve()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    em = Emulator(home=home, port=port)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NEXUS_HOME", str(home))
        env.setenv("NEXUS_EMULATOR_PORT", str(port))
        env.delenv("NEXUS_URL", raising=False)
        env.delenv("NEXUS_TOKEN", raising=False)
        container = _start_container(pytestconfig, em, tmp_path_factory)
        try:
            if container is not None:
                runtime = wait_ready(container, em.url(), 120.0)
                yield NexusEmulator(em, runtime, LocalProvider(), "container")
            else:
                info = start(em, runtime=_runtime(pytestconfig))
                yield NexusEmulator(em, str(info.get("runtime", "unknown")), LocalProvider())
        finally:
            reset(em, lambda _msg: None)
            if container is not None:
                container.stop()


def _start_container(config: pytest.Config, em: Emulator, factory: pytest.TempPathFactory) -> Any:
    """The emulator's container, started; None when the session runs it as a process."""
    mode = _mode(config)
    if mode == "process":
        return None
    from nexus_local import emulator_container

    why = config.stash.get(_WHY, None) if _WHY in config.stash else _container_unavailable()
    tag = engine = None
    if why is None:
        try:
            import docker
            from platformdirs import user_cache_dir

            client = docker.from_env()
            try:
                engine = emulator_container.socket_of(client)
                tag = emulator_container.build_image(
                    client, Path(user_cache_dir("nexus")) / "emulator-image"
                )
            finally:
                client.close()
        except emulator_container.NoContainer as exc:
            why = str(exc)
    if tag is None or engine is None:
        if mode == "container":
            raise pytest.UsageError(f"--nexus-emulator=container: {why}")
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"nexus: the fixtures' emulator runs as a local process: {why}")
        return None
    return emulator_container.run(tag, em.home, em.port, _runtime(config), engine)


@pytest.fixture(scope="session")
def nexus_deploy(
    nexus_emulator: NexusEmulator, pytestconfig: pytest.Config
) -> Callable[..., DeployResult]:
    """``nexus_deploy(path=None, env="development", name=None)``: deploy a project."""
    from nexus_cli.commands.agent.deploy import request

    def deploy(
        path: str | Path | None = None, env: str | None = None, name: str | None = None
    ) -> DeployResult:
        project = Path(path) if path is not None else project_under_test(pytestconfig)
        chosen = env or pytestconfig.getini("nexus_env") or "development"
        return nexus_emulator.provider.deploy(request(project, chosen, name=name), _quiet)

    return deploy


def _quiet(_message: str) -> None:
    pass


@pytest.fixture(scope="session")
def nexus_agent(
    nexus_emulator: NexusEmulator,
    nexus_deploy: Callable[..., DeployResult],
) -> Iterator[DeployedAgent]:
    """The project under test, deployed once for the session."""
    result = nexus_deploy()
    client = nexus_emulator.client()
    try:
        yield DeployedAgent(result.name, result.env, result, client)
    finally:
        client.close()


@pytest.fixture
def nexus_client(nexus_emulator: NexusEmulator) -> Iterator[Client]:
    """A ``nexus.ai.Client`` for the session's emulator."""
    client = nexus_emulator.client()
    try:
        yield client
    finally:
        client.close()
