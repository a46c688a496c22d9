"""The emulator's settings, read once at start from arguments and NEXUS_* variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from nexus.ai.spec import DEFAULT_EMULATOR_PORT, nexus_home


@dataclass(frozen=True)
class EmulatorConfig:
    home: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_EMULATOR_PORT
    runtime: str = "auto"  # auto | docker | process
    replica_timeout: float = 60.0  # seconds a new replica has to answer /ping
    health_interval: float = 2.0  # seconds between health checks of running replicas
    autoscale_window: float = 10.0  # seconds of load the autoscaler looks at per step
    workload_ttl: float = 900.0  # seconds a replica's workload token lives (refreshed before)

    @classmethod
    def from_env(cls, **overrides: object) -> EmulatorConfig:
        values: dict[str, object] = {
            "home": nexus_home(),
            "port": int(os.environ.get("NEXUS_EMULATOR_PORT", DEFAULT_EMULATOR_PORT)),
            "runtime": os.environ.get("NEXUS_RUNTIME", "auto"),
            "replica_timeout": float(os.environ.get("NEXUS_REPLICA_TIMEOUT", "60")),
            "health_interval": float(os.environ.get("NEXUS_HEALTH_INTERVAL", "2")),
            "autoscale_window": float(os.environ.get("NEXUS_AUTOSCALE_WINDOW", "10")),
            "workload_ttl": float(os.environ.get("NEXUS_WORKLOAD_TTL", "900")),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["home"] = Path(str(values["home"])).expanduser().resolve()
        return cls(**values)  # type: ignore[arg-type]

    @property
    def issuer(self) -> str:
        """The ``iss`` of the tokens this emulator signs (its own base URL)."""
        return f"http://{self.host}:{self.port}"

    @property
    def db_path(self) -> Path:
        return self.home / "state.db"

    @property
    def token_path(self) -> Path:
        return self.home / "token"

    @property
    def info_path(self) -> Path:
        return self.home / "emulator.json"

    @property
    def sources_dir(self) -> Path:
        return self.home / "sources"
