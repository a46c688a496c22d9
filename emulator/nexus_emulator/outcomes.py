"""What the deployer's operations did, as plain typed values.

The deployer, scaling and reconcile return these; only the routes turn them
into the API's answers (``views.py`` renders them as ``nexus_api`` models).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nexus_emulator.pools import LiveReplica
from nexus_emulator.store.db import VersionRow


@dataclass(frozen=True)
class Rollout:
    """A deploy or a rollback: the version ``env`` now serves and the replicas serving it."""

    agent: str
    env: str
    version: VersionRow
    replicas: tuple[LiveReplica, ...]
    duration: float  # seconds, from the request to serving
    unchanged: bool = False  # the same content already served: nothing was restarted


@dataclass(frozen=True)
class Scaled:
    """A manual or automatic scale of one environment."""

    agent: str
    env: str
    replicas_before: int
    replicas: int
    autoscale: bool
    started: int = 0  # replicas started to reach the count
    stopped: int = 0  # replicas stopped to reach it


@dataclass
class Reconciled:
    """What a start found: replicas kept, strays stopped, missing ones started."""

    adopted: int = 0
    stopped: int = 0
    started: int = 0
    failed: list[str] = field(default_factory=list)  # "agent/env" that could not be restored

    def summary(self) -> str:
        text = (
            f"adopted {self.adopted} running replica(s), stopped {self.stopped}, "
            f"started {self.started}"
        )
        return text + (f"; could not restore {', '.join(self.failed)}" if self.failed else "")
