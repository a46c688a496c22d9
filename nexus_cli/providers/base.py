"""The provider plugin contract (ARCHITECTURE §4.3).

A provider declares its name, its options and what it can do, and implements
the operations behind every ``nexus ai agent`` verb. Each operation returns a
pydantic result that the CLI renders as a table or, under ``--json``, as JSON.
An operation a provider cannot do raises :class:`~nexus_cli.errors.Unsupported`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from nexus_cli.errors import Unsupported


class Capability(StrEnum):
    DEPLOY = "deploy"
    RUN = "run"
    STREAM = "stream"
    ASYNC = "async"
    SCALE = "scale"
    AUTOSCALE = "autoscale"
    SECRETS = "secrets"
    LOGS = "logs"
    LOGS_FOLLOW = "logs-follow"
    ROLLBACK = "rollback"
    METRICS = "metrics"
    TRACES = "traces"


# ---------------------------------------------------------------- results


class Resources(BaseModel):
    cpu: str | None = Field(default=None, description="CPU limit as given, e.g. 1000m or 0.5")
    memory: str | None = Field(default=None, description="memory limit as given, e.g. 1Gi")
    nano_cpus: int | None = None
    memory_bytes: int | None = None


class Replica(BaseModel):
    id: str
    state: str  # starting | healthy | unhealthy | stopped
    endpoint: str | None = None
    version: str | None = None
    started_at: float | None = None
    healthy_after_s: float | None = None  # from start to the first healthy /ping


class EnvironmentStatus(BaseModel):
    env: str
    version: str | None  # label of the version serving
    revision: int | None
    replicas_desired: int
    replicas: list[Replica] = []
    endpoint: str | None = None
    resources: Resources = Resources()
    autoscale: bool = False
    runtime: str | None = None  # docker | process
    isolation: str | None = None  # what the runtime isolates, said plainly
    updated_at: float | None = None


class AgentStatus(BaseModel):
    name: str
    provider: str
    environments: list[EnvironmentStatus]


class AgentSummary(BaseModel):
    name: str
    environments: dict[str, str | None]  # env -> version label serving
    versions: int
    updated_at: float | None = None


class Version(BaseModel):
    revision: int
    label: str
    digest: str | None = None
    image: str | None = None
    created_at: float
    created_by: str | None = None
    source: str | None = None  # "deploy" | "image"
    live_in: list[str] = []  # environments this version serves


class HistoryEvent(BaseModel):
    at: float
    env: str
    action: str  # deploy | rollback | scale
    revision: int
    label: str
    by: str | None = None


class History(BaseModel):
    name: str
    versions: list[Version]
    events: list[HistoryEvent] = []


class DeployResult(BaseModel):
    name: str
    env: str
    version: Version
    replicas: list[Replica]
    endpoint: str | None = None
    duration_s: float | None = None
    unchanged: bool = False  # same digest as the version already serving


class RunResult(BaseModel):
    output: Any
    metadata: dict[str, Any] = {}


class Secret(BaseModel):
    name: str
    scope: str  # an environment, or * for every environment
    digest: str
    updated_at: float | None = None


class SecretChange(BaseModel):
    name: str
    scope: str
    digest: str | None = None
    deleted: bool = False
    restarted: list[str] = []  # environments whose replicas were restarted
    key_store: str | None = None  # where the encryption key is: keyring, or a key file
    key_created: bool = False


class EnvironmentMetrics(BaseModel):
    requests: int = 0
    errors: int = 0
    error_rate: float = 0.0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    tokens: int = 0
    queue_size: int = 0


class AgentMetrics(BaseModel):
    name: str
    environments: dict[str, EnvironmentMetrics]


class Task(BaseModel):
    task_id: str
    status: str  # pending | running | succeeded | failed | cancelled
    agent: str | None = None
    env: str | None = None
    progress: int = 0
    attempt: int = 0
    result: Any = None
    error: str | None = None
    webhook: str | None = None
    created_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None


class TraceSummary(BaseModel):
    trace_id: str
    name: str
    start: float
    duration_ms: float
    status: str
    spans: int


class SpanInfo(BaseModel):
    trace_id: str
    span_id: str
    parent_id: str | None = None
    name: str
    kind: str
    start: float
    duration_ms: float
    status: str
    attributes: dict[str, Any] = {}


class Trace(BaseModel):
    trace_id: str
    spans: list[SpanInfo]


class DeleteResult(BaseModel):
    name: str
    deleted: bool = True


@dataclass(frozen=True)
class DeployRequest:
    """What ``nexus ai agent deploy`` asks a provider to do."""

    name: str
    env: str
    project_dir: Path | None  # None when deploying a prebuilt image
    image: str | None = None
    replicas: int | None = None
    cpu: str | None = None
    memory: str | None = None
    label: str | None = None  # version label; from the project file when None


@dataclass(frozen=True)
class LogQuery:
    env: str | None = None
    tail: int = 100  # lines per replica
    level: str = "debug"  # lowest level shown
    since: float | None = None  # unix time of the oldest record
    follow: bool = False


ProgressFn = Callable[[str], None]


# ---------------------------------------------------------------- contract


class Provider(ABC):
    """Base class of every provider plugin, built in or third party."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    options: ClassVar[dict[str, str]] = {}  # option name -> help text

    def __init__(self, *, notice: ProgressFn | None = None, **options: Any) -> None:
        """``notice`` receives one-line messages for the user (e.g. "started the emulator")."""
        self.notice: ProgressFn = notice or (lambda _msg: None)
        self.settings = options

    def unsupported(self, what: str) -> Unsupported:
        return Unsupported(
            f"{what} is not supported by provider {self.name!r}",
            hint="nexus ai provider list  # shows what each provider can do",
        )

    @abstractmethod
    def deploy(self, request: DeployRequest, progress: ProgressFn) -> DeployResult: ...

    @abstractmethod
    def run(self, name: str, input: Any, context: dict[str, Any], env: str | None) -> RunResult: ...

    def stream(
        self, name: str, input: Any, context: dict[str, Any], env: str | None
    ) -> Iterator[dict[str, Any]]:
        raise self.unsupported("streaming")

    def scale(
        self, name: str, env: str, replicas: int | None, autoscale: bool | None
    ) -> AgentStatus:
        """Set the replica count and/or the autoscale flag of one environment."""
        raise self.unsupported("scaling")

    def secret_set(self, name: str, key: str, value: str, env: str | None) -> SecretChange:
        raise self.unsupported("secrets")

    def secret_list(self, name: str) -> list[Secret]:
        raise self.unsupported("secrets")

    def secret_delete(self, name: str, key: str, env: str | None) -> SecretChange:
        raise self.unsupported("secrets")

    def submit(
        self, name: str, input: Any, context: dict[str, Any], env: str | None, webhook: str | None
    ) -> Task:
        raise self.unsupported("async runs")

    def task(self, task_id: str) -> Task:
        raise self.unsupported("async runs")

    def task_cancel(self, task_id: str) -> Task:
        raise self.unsupported("async runs")

    def tasks(self, name: str) -> list[Task]:
        raise self.unsupported("async runs")

    def metrics(self, name: str) -> AgentMetrics:
        raise self.unsupported("metrics")

    def traces(self, name: str, limit: int) -> list[TraceSummary]:
        raise self.unsupported("traces")

    def trace(self, trace_id: str) -> Trace:
        raise self.unsupported("traces")

    def logs(self, name: str, query: LogQuery) -> Iterator[dict[str, Any]]:
        """Log records of the agent's replicas, oldest first; endless with ``follow``."""
        raise self.unsupported("logs")

    @abstractmethod
    def list_agents(self) -> list[AgentSummary]: ...

    @abstractmethod
    def status(self, name: str, env: str | None) -> AgentStatus: ...

    @abstractmethod
    def history(self, name: str) -> History: ...

    def rollback(self, name: str, env: str, version: str | None) -> DeployResult:
        raise self.unsupported("rollback")

    @abstractmethod
    def delete(self, name: str) -> DeleteResult: ...
