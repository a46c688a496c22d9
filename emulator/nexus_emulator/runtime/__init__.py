"""Runtime backends of the emulator: ``docker`` (containers) and ``process`` (subprocesses).

``select_runtime`` picks one: ``auto`` uses Docker when the engine answers a
ping, else the process runtime. ``secrets_root`` is the folder under which
replicas get their secret files (a reset removes it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from ._secrets import refresh_platform
from ._secrets import root_path as secrets_root
from .base import (
    Artifact,
    BuildFailed,
    BuildSpec,
    ReplicaFailed,
    ReplicaHandle,
    ReplicaSpec,
    Runtime,
    RuntimeUnavailable,
)

__all__ = [
    "Artifact",
    "BuildFailed",
    "BuildSpec",
    "ReplicaFailed",
    "ReplicaHandle",
    "ReplicaSpec",
    "Runtime",
    "RuntimeUnavailable",
    "refresh_platform",
    "secrets_root",
    "select_runtime",
]

RuntimeName = Literal["auto", "docker", "process"]


def select_runtime(name: RuntimeName | str, home: Path) -> Runtime:
    """The runtime called ``name`` for the emulator whose state lives in ``home``."""
    if name == "auto":
        from .engine import ping_engine

        name = "docker" if ping_engine(timeout=0.3) is None else "process"
    if name == "docker":
        from .docker import DockerRuntime

        return DockerRuntime(home)
    if name == "process":
        from .process import ProcessRuntime

        return ProcessRuntime(home)
    raise ValueError(f"unknown runtime {name!r}: use auto, docker or process")
