"""The results the API answers with, as pydantic models.

The emulator renders its answers from these, the providers parse the answers
back into them, and the CLI prints them as tables or, under ``--json``, as JSON.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "AgentMetrics",
    "AgentStatus",
    "AgentSummary",
    "DeleteResult",
    "Delivery",
    "DeployResult",
    "EnvironmentMetrics",
    "EnvironmentStatus",
    "History",
    "HistoryEvent",
    "Replica",
    "Resources",
    "RunResult",
    "Secret",
    "SecretChange",
    "SourceUploaded",
    "SpanInfo",
    "Task",
    "TaskSubmitted",
    "Trace",
    "TraceSummary",
    "Usage",
    "Version",
]


class Resources(BaseModel):
    cpu: str | None = Field(default=None, description="CPU limit as given, e.g. 1000m or 0.5")
    memory: str | None = Field(default=None, description="memory limit as given, e.g. 1Gi")
    nano_cpus: int | None = None
    memory_bytes: int | None = None


class Usage(BaseModel):
    """A replica's processes and memory against its limits, as the engine last measured."""

    pids: int | None = None
    pids_limit: int | None = None
    memory_bytes: int | None = None  # in use, the page cache it can drop left out
    memory_limit_bytes: int | None = None
    pressure: list[str] = []  # "pids", "memory": at 90 % of the limit or more
    measured_at: float | None = None


class Replica(BaseModel):
    id: str
    # starting | healthy | unhealthy | ejected (failed calls in a row) | stopped | gone (a
    # session's replica that died: the session gets a fresh one on its next call)
    state: str
    endpoint: str | None = None
    version: str | None = None
    started_at: float | None = None
    healthy_after_s: float | None = None  # from start to the first healthy /ping
    in_flight: int = 0  # calls relayed to it now
    busy: bool = False  # its last /ping answered HealthyBusy (at its max_concurrency)
    usage: Usage | None = None  # from the engine's stats (docker runtime)


class IsolatedSession(BaseModel):
    """A session's own replica (``deploy --isolation session``)."""

    id: str  # the session id its calls carry
    agent: str
    env: str
    replica: Replica
    started_at: float
    used_at: float  # its last call started
    expires_at: float  # when it is destroyed unless called again (idle or lifetime)
    lost: int = 0  # times its replica died and a fresh one took over: its state was lost
    lost_at: float | None = None  # when that last happened


class CrashLoop(BaseModel):
    """Replicas of an environment that keep dying: replaced with backoff."""

    restarts: int  # replacements within the window
    window_s: float
    next_restart_in_s: float  # the backoff before the next replacement
    last_log: list[str] = []  # the last lines of the replica that went last


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
    service_account: str | None = None  # whom the replicas' workload tokens stand for
    network: str | None = None  # egress: "public" or "platform"
    egress: str | None = None  # whether the runtime enforces "platform", said plainly
    crash_loop: CrashLoop | None = None  # set while the replicas keep dying
    max_concurrency: int = 0  # calls one replica takes at once; 0: no limit
    queued: int = 0  # calls waiting now for a replica to take them
    max_attempts: int | None = None  # runs of a task cut short before it is dead (None: default)
    # isolation session: the started replica kept ready for the next new session
    session_spare: Replica | None = None


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
    updated_at: float | None = None
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


class Delivery(BaseModel):
    """A webhook delivery of a task and how its attempts went."""

    webhook_id: str  # the webhook-id header, the same on every attempt
    url: str
    attempts: int = 0
    delivered_at: float | None = None
    failed_at: float | None = None  # given up (attempts used up, or 410 Gone)
    last_error: str | None = None
    next_at: float | None = None  # when the next attempt goes


class Task(BaseModel):
    task_id: str
    status: str  # pending | running | succeeded | failed | cancelled | dead
    agent: str | None = None
    env: str | None = None
    progress: int = 0
    attempt: int = 0
    result: Any = None
    metadata: dict[str, Any] | None = None  # of a succeeded task: as a run's answer's
    error: str | None = None
    webhook: str | None = None
    created_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    deliveries: list[Delivery] = []  # of its webhook, when it has one


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


class SourceUploaded(BaseModel):
    source_id: str  # sha256:<hex> of the tar.gz
    size: int


class TaskSubmitted(BaseModel):
    task_id: str
    status: str = "pending"
