"""The provider plugin contract (ARCHITECTURE §4.3).

A provider declares its name, its options and what it can do, and implements
the operations behind every ``nexus ai agent`` verb. Each operation returns a
pydantic result (``nexus_api.models``) that the CLI renders as a table or,
under ``--json``, as JSON.
An operation a provider cannot do raises :class:`~nexus_cli.errors.Unsupported`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from nexus_cli.errors import NexusError, Unsupported, UsageError

if TYPE_CHECKING:
    from nexus_api.gateway import AuditRow, ModelInfo, ModelRoute, QuotaInfo, Usage
    from nexus_api.identity import (
        AuthorizerInfo,
        CredentialInfo,
        KeyInfo,
        RotateResult,
        TokenResult,
    )
    from nexus_api.memory import (
        Event,
        MemorySettings,
        Record,
        SearchHit,
        SearchIn,
        SessionInfo,
        SettingsChange,
    )
    from nexus_api.models import (
        AgentMetrics,
        AgentStatus,
        AgentSummary,
        DeleteResult,
        DeployResult,
        EnvironmentMetrics,
        EnvironmentStatus,
        History,
        HistoryEvent,
        IsolatedSession,
        Replica,
        Resources,
        RunResult,
        Secret,
        SecretChange,
        SpanInfo,
        Task,
        Trace,
        TraceSummary,
        Version,
    )

# The result models live in the neutral ``nexus_api`` package (the emulator
# answers with them too); they are re-exported here so plugins written
# against ``nexus_cli.providers.base`` keep working. They are imported on first
# use (``__getattr__`` below): the contract itself must not cost a pydantic import.
__all__ = [
    "AgentMetrics",
    "AgentStatus",
    "AgentSummary",
    "Capability",
    "DeleteResult",
    "DeployRequest",
    "DeployResult",
    "EnvironmentMetrics",
    "EnvironmentStatus",
    "History",
    "HistoryEvent",
    "LogQuery",
    "ProgressFn",
    "Provider",
    "Replica",
    "Resources",
    "RunResult",
    "Secret",
    "SecretChange",
    "SpanInfo",
    "Task",
    "Trace",
    "TraceSummary",
    "Version",
]

if TYPE_CHECKING:
    from nexus_api.deploy import DeploySpec


def __getattr__(name: str) -> Any:
    """The re-exported result models, imported when first asked for."""
    import importlib

    if name[:1].isupper():
        for module in ("nexus_api.models", "nexus_api.identity"):
            found = getattr(importlib.import_module(module), name, None)
            if found is not None:
                return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    EGRESS = "egress"  # enforces network = "platform" (the platform endpoint only)


@dataclass(frozen=True)
class DeployRequest:
    """What ``nexus ai agent deploy`` asks a provider to do: the spec as the user gave it
    (flags and nexus.toml, parsed once by the CLI) and the project directory to build."""

    name: str
    spec: DeploySpec
    source: Path | None = None  # the project to pack; None when deploying a prebuilt image

    @property
    def env(self) -> str:
        return self.spec.env


@dataclass(frozen=True)
class LogQuery:
    env: str | None = None
    tail: int = 100  # lines per replica
    level: str = "debug"  # lowest level shown
    since: float | None = None  # unix time of the oldest record
    follow: bool = False  # keep streaming; a lost connection is resumed
    grep: str | None = None  # only records containing this text (any case)
    replica: str | None = None  # only replicas whose id starts with this
    version: str | None = None  # only replicas of this version (label or rN)
    request: str | None = None  # only records of this request id (or its prefix)


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

    def option(self, key: str, *, required: bool = False) -> str | None:
        """An option's value: given to the constructor, else ``NEXUS_<PROVIDER>_<KEY>``."""
        import os

        value = self.settings.get(key)
        variable = f"NEXUS_{self.name.upper()}_{key.upper()}"
        if value in (None, ""):
            value = os.environ.get(variable, "").strip() or None
        if value is None and required:
            raise UsageError(
                f"provider {self.name!r} needs the option {key!r}: "
                f"{self.options.get(key, 'no description')}",
                hint=f"set {variable}=VALUE, or keep it in a profile: nexus ai profile create "
                f"NAME --provider {self.name} --option {key}=VALUE",
            )
        return None if value is None else str(value)

    def unsupported(self, what: str) -> Unsupported:
        return Unsupported(
            f"{what} is not supported by provider {self.name!r}",
            hint="nexus ai provider list  # shows what each provider can do",
        )

    @abstractmethod
    def deploy(self, request: DeployRequest, progress: ProgressFn) -> DeployResult: ...

    def render(self, request: DeployRequest) -> list[dict[str, Any]]:
        """What ``deploy --dry-run`` prints: the manifests a deploy would apply."""
        raise self.unsupported("--dry-run")

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

    def not_running(self) -> NexusError | None:
        """Why the platform does not answer now, without starting anything (a look-only
        tool such as the dashboard asks first); None when it answers or cannot tell."""
        return None

    def restart(self, name: str, env: str) -> AgentStatus:
        """New replicas of the version serving in ``env``, switched to once healthy."""
        raise self.unsupported("restarting")

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

    def task_retry(self, task_id: str) -> Task:
        raise self.unsupported("async runs")

    def webhook_secret(self, name: str) -> dict[str, Any]:
        raise self.unsupported("webhooks")

    def webhook_secret_rotate(self, name: str) -> dict[str, Any]:
        raise self.unsupported("webhooks")

    def tasks(self, name: str, status: str | None = None) -> list[Task]:
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

    def token_create(
        self, subject: str, scopes: list[str], agent: str | None, ttl: float
    ) -> TokenResult:
        """A signed caller token (JWT) for the data plane."""
        raise self.unsupported("minting tokens")

    def identity_keys(self) -> list[KeyInfo]:
        raise self.unsupported("identity keys")

    def gateway_models(self) -> list[ModelInfo]:
        """The models the AI gateway serves agents."""
        raise self.unsupported("the AI gateway")

    def gateway_model_add(self, route: dict[str, Any]) -> ModelRoute:
        """Route a model name to an upstream (``nexus_api.gateway.ModelRoute``'s fields)."""
        raise self.unsupported("the AI gateway")

    def gateway_model_remove(self, name: str) -> dict[str, Any]:
        raise self.unsupported("the AI gateway")

    def gateway_quota(self, name: str, env: str, change: dict[str, Any] | None) -> QuotaInfo:
        """An agent's gateway quota in ``env``, after applying ``change`` when given."""
        raise self.unsupported("the AI gateway")

    def gateway_audit(self, name: str | None, since: float | None, limit: int) -> list[AuditRow]:
        raise self.unsupported("the AI gateway")

    def gateway_usage(self, name: str) -> Usage:
        raise self.unsupported("the AI gateway")

    def rotate_keys(self) -> RotateResult:
        raise self.unsupported("rotating identity keys")

    def memory_sessions(self, name: str, actor: str | None) -> list[SessionInfo]:
        """An agent's memory sessions, most recent first."""
        raise self.unsupported("agent memory")

    def memory_events(self, name: str, session: str, actor: str) -> list[Event]:
        raise self.unsupported("agent memory")

    def memory_search(self, name: str, asked: SearchIn) -> list[SearchHit]:
        """Records ranked by ``asked.mode``: ``text``, ``vector`` or ``hybrid`` (None: the
        agent's default)."""
        raise self.unsupported("agent memory")

    def memory_records(self, name: str, namespace: str | None, limit: int) -> list[Record]:
        raise self.unsupported("agent memory")

    def memory_settings(self, name: str, change: SettingsChange) -> MemorySettings:
        """An agent's memory settings, after ``change``."""
        raise self.unsupported("agent memory")

    def memory_delete(self, name: str, what: str, id: str, actor: str | None) -> dict[str, Any]:
        """Delete a ``session`` (of ``actor``), a ``record`` or an ``actor``'s memory."""
        raise self.unsupported("agent memory")

    def authorizer_set(
        self, name: str, discovery_url: str, audiences: list[str], clients: list[str]
    ) -> AuthorizerInfo:
        """Trust an external OIDC issuer's tokens on the agent's data plane."""
        raise self.unsupported("external issuers")

    def credential_set(self, name: str, credential: str, values: dict[str, str]) -> CredentialInfo:
        """Store an outbound credential: ``{"kind": "api_key", "api_key"}`` or
        ``{"kind": "oauth2", "token_url", "client_id", "client_secret"}``."""
        raise self.unsupported("outbound credentials")

    def credential_list(self, name: str) -> list[CredentialInfo]:
        raise self.unsupported("outbound credentials")

    def credential_delete(self, name: str, credential: str) -> CredentialInfo:
        raise self.unsupported("outbound credentials")

    def authorizer_get(self, name: str) -> AuthorizerInfo:
        raise self.unsupported("external issuers")

    def session_list(self, name: str) -> list[IsolatedSession]:
        """The agent's sessions with a replica of their own (``deploy --isolation session``)."""
        raise self.unsupported("per-session isolation")

    def session_stop(self, name: str, session: str) -> IsolatedSession:
        """End a session: its replica is destroyed with its filesystem."""
        raise self.unsupported("per-session isolation")

    def authorizer_delete(self, name: str) -> AuthorizerInfo:
        raise self.unsupported("external issuers")

    @abstractmethod
    def list_agents(self) -> list[AgentSummary]: ...

    @abstractmethod
    def status(self, name: str, env: str | None) -> AgentStatus: ...

    # The three most frequent commands print the result at once (a table, or its JSON).
    # These give the result as the JSON its model dumps to; a provider that already holds
    # that JSON overrides them, so those commands need no pydantic at all.

    def run_data(
        self, name: str, input: Any, context: dict[str, Any], env: str | None
    ) -> dict[str, Any]:
        """``run(...)`` as JSON data (``RunResult``)."""
        return self.run(name, input, context, env).model_dump(mode="json")

    def list_agents_data(self) -> list[dict[str, Any]]:
        """``list_agents()`` as JSON data (``AgentSummary`` each)."""
        return [agent.model_dump(mode="json") for agent in self.list_agents()]

    def status_data(self, name: str, env: str | None) -> dict[str, Any]:
        """``status(...)`` as JSON data (``AgentStatus``)."""
        return self.status(name, env).model_dump(mode="json")

    @abstractmethod
    def history(self, name: str) -> History: ...

    def rollback(self, name: str, env: str, version: str | None) -> DeployResult:
        raise self.unsupported("rollback")

    @abstractmethod
    def delete(self, name: str) -> DeleteResult: ...
