"""What one replica container of the Docker runtime is: its name, its hardened run
options, and the handle read back from the engine's view of it."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from ._secrets import LABEL_SECRETS, PLATFORM_FILE, SECRETS_MOUNT
from .base import (
    LABEL_AGENT,
    LABEL_ENV,
    LABEL_HOME,
    LABEL_REPLICA,
    LABEL_REVISION,
    ReplicaHandle,
    ReplicaSpec,
)
from .dockerfile import APP_DIR, PORT, UID

CONTAINER_PORT = f"{PORT}/tcp"


def container_name(spec: ReplicaSpec) -> str:
    return f"nexus-{spec.agent}-{spec.env}-r{spec.revision}-{spec.replica}-{secrets.token_hex(3)}"


def run_options(spec: ReplicaSpec, home: Path, name: str, network: str) -> dict[str, Any]:
    """``containers.run`` keywords of a replica: an unprivileged user, a read-only root,
    no capabilities, pids/CPU/memory limits, its port on 127.0.0.1 only."""
    options: dict[str, Any] = {
        "name": name,
        "labels": {
            LABEL_AGENT: spec.agent,
            LABEL_ENV: spec.env,
            LABEL_REVISION: str(spec.revision),
            LABEL_REPLICA: str(spec.replica),
            LABEL_HOME: str(home),
        },
        "detach": True,
        "init": True,
        "ports": {CONTAINER_PORT: ("127.0.0.1", None)},
        "network": network,
        "read_only": True,
        "tmpfs": {"/tmp": "rw,size=64m"},
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "pids_limit": 256,
        "user": f"{UID}:{UID}",
        "environment": dict(spec.environment),
        "restart_policy": {"Name": "no"},
    }
    if spec.platform:
        options["environment"]["NEXUS_PLATFORM_FILE"] = f"{SECRETS_MOUNT}/{PLATFORM_FILE}"
    if spec.secrets:
        options["environment"]["NEXUS_SECRETS_FILE"] = f"{SECRETS_MOUNT}/env.json"
    if spec.nano_cpus:
        options["nano_cpus"] = spec.nano_cpus
    if spec.memory_bytes:
        options["mem_limit"] = spec.memory_bytes
        options["memswap_limit"] = spec.memory_bytes  # no swap on top
    return options


def mount_secrets(options: dict[str, Any], folder: Path) -> None:
    """The replica's secrets folder, read-only: secrets and credentials never become the
    container's environment (visible to `docker inspect`) nor part of an image."""
    options["labels"][LABEL_SECRETS] = str(folder)
    options.setdefault("volumes", {})[str(folder)] = {"bind": SECRETS_MOUNT, "mode": "ro"}


def mount_project(options: dict[str, Any], project: str) -> None:
    """nexus ai agent dev: the project itself, read-only, re-imported on change."""
    options.setdefault("volumes", {})[project] = {"bind": APP_DIR, "mode": "ro"}
    options["environment"].update(NEXUS_RELOAD="1", PYTHONDONTWRITEBYTECODE="1")


def handle_of(
    container_id: str, attrs: dict[str, Any], endpoint: str, running: bool
) -> ReplicaHandle:
    labels = attrs.get("Labels") or attrs.get("Config", {}).get("Labels") or {}
    return ReplicaHandle(
        id=container_id,
        endpoint=endpoint,
        agent=labels.get(LABEL_AGENT, ""),
        env=labels.get(LABEL_ENV, ""),
        revision=int(labels.get(LABEL_REVISION, "0")),
        replica=int(labels.get(LABEL_REPLICA, "0")),
        running=running,
        files=labels.get(LABEL_SECRETS),
    )


def host_port(ports: dict[str, Any] | None) -> int | None:
    """The host port published for the replica's port (``NetworkSettings.Ports``)."""
    for binding in (ports or {}).get(CONTAINER_PORT) or []:
        if binding.get("HostPort"):
            return int(binding["HostPort"])
    return None
