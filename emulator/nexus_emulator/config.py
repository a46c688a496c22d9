"""The emulator's settings, read once at start from arguments and NEXUS_* variables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nexus.ai.spec import DEFAULT_EMULATOR_PORT
from nexus.settings import HomePaths, Settings


@dataclass(frozen=True)
class EmulatorConfig:
    home: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_EMULATOR_PORT
    runtime: str = "auto"  # auto | docker | process
    replica_route: str = "auto"  # auto | published: how Docker replicas are called
    replica_timeout: float = 60.0  # seconds a new replica has to answer /ping
    replica_wait: float = 30.0  # seconds a call waits for a healthy replica, then 503
    session_idle: float = 900.0  # seconds a session's replica lives without a call
    session_lifetime: float = 8 * 3600.0  # seconds a session's replica lives at most
    session_spare: bool = True  # a warm spare per session-isolated environment (spares.py)
    health_interval: float = 2.0  # seconds between health checks of running replicas
    autoscale_window: float = 10.0  # seconds of load the autoscaler looks at per step
    workload_ttl: float = 900.0  # seconds a replica's workload token lives (refreshed before)
    task_attempts: int = 3  # runs of a task cut short before it is dead
    max_body: int = 8 * 2**20  # bytes of a run, stream or task request body
    otlp_endpoint: str | None = None  # an external collector every stored span goes to
    otlp_headers: str | None = None  # name=value,… sent with each export

    @classmethod
    def from_env(cls, **overrides: object) -> EmulatorConfig:
        """The settings (see ``nexus.settings``), with the command line's arguments on top."""
        s = Settings.load()
        values: dict[str, object] = {
            "home": s.home,
            "port": s.emulator_port,
            "runtime": s.runtime,
            "replica_route": s.replica_route,
            "replica_timeout": s.replica_timeout,
            "replica_wait": s.replica_wait,
            "session_idle": s.session_idle,
            "session_lifetime": s.session_lifetime,
            "session_spare": s.session_spare,
            "health_interval": s.health_interval,
            "autoscale_window": s.autoscale_window,
            "workload_ttl": s.workload_ttl,
            "max_body": s.max_body,
            "task_attempts": s.task_attempts,
            "otlp_endpoint": s.otlp_endpoint,
            "otlp_headers": s.otlp_headers,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["home"] = Path(str(values["home"])).expanduser().resolve()
        return cls(**values)  # type: ignore[arg-type]

    @property
    def issuer(self) -> str:
        """The ``iss`` of the tokens this emulator signs (its own base URL)."""
        return f"http://{self.host}:{self.port}"

    @property
    def paths(self) -> HomePaths:
        return HomePaths(self.home)
