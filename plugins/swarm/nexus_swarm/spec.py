"""Service specs of an agent environment and of its front, as the Engine API's dicts.

An agent replica is hardened like a local one: an unprivileged user, a
read-only root with a tmpfs /tmp, every capability dropped, pids/CPU/memory
limits. (Swarm's API 1.41 has no no-new-privileges flag for services; with
no capabilities and a non-root user nothing can gain privileges anyway.)
Updates roll one replica at a time, start-first, health-checked on /ping,
and roll back by themselves when a new replica fails.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from nexus_swarm.engine import (
    LABEL_AGENT,
    LABEL_ENV,
    LABEL_ROLE,
    LABEL_VERSION,
    front_name,
    service_name,
)

SECOND = 1_000_000_000  # the Engine API counts durations in nanoseconds
PORT = 8080  # the agent runtime contract's port (/ping, /invocations)
UID = "10001"
SECRETS_DIR = "/run/nexus/secrets"
FRONT_SCRIPT = "/opt/nexus-front/front.py"
# The front's volume: mounted where the image has a world-writable sticky folder,
# whose mode a new volume takes, so the unprivileged front can write its database.
FRONT_STATE = "/var/tmp"
FRONT_HOOK_SECRETS = "/run/nexus/webhook-secrets"
LABEL_SPEC = "dev.nexus.spec"  # hash of the task template: tells new tasks from old ones
PING = f"import urllib.request as u; u.urlopen('http://127.0.0.1:{PORT}/ping', timeout=2).read()"


@dataclass(frozen=True)
class SecretRef:
    key: str  # the environment variable it becomes
    secret_id: str
    secret_name: str


@dataclass(frozen=True)
class AgentSpec:
    agent: str
    env: str
    image: str
    replicas: int
    network: str
    nano_cpus: int | None = None
    memory_bytes: int | None = None
    secrets: tuple[SecretRef, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)  # version labels of the service


def _hardened(image: str) -> dict[str, Any]:
    return {
        "Image": image,
        "User": f"{UID}:{UID}",
        "ReadOnly": True,
        "Init": True,
        "CapabilityDrop": ["ALL"],
        "Mounts": [{"Type": "tmpfs", "Target": "/tmp", "TmpfsOptions": {"SizeBytes": 64 << 20}}],
        "StopGracePeriod": 7 * SECOND,  # the SDK drains in-flight calls for up to 5 s
    }


def _with_hash(template: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:16]
    template["ContainerSpec"].setdefault("Labels", {})[LABEL_SPEC] = digest
    return digest


def agent_service(spec: AgentSpec, name: str) -> tuple[dict[str, Any], str]:
    """Keyword arguments of ``APIClient.create_service``/``update_service``, and the spec hash."""
    container = _hardened(spec.image)
    container["Env"] = [f"NEXUS_AGENT={spec.agent}", f"NEXUS_ENV={spec.env}"]
    container["Labels"] = {LABEL_VERSION: spec.labels.get(LABEL_VERSION, "")}
    container["Healthcheck"] = {
        "Test": ["CMD", "python3", "-c", PING],
        "Interval": 2 * SECOND,
        "Timeout": 3 * SECOND,
        "Retries": 3,
        "StartPeriod": 60 * SECOND,
    }
    if spec.secrets:
        container["Env"].append(f"NEXUS_SECRETS_DIR={SECRETS_DIR}")
        container["Secrets"] = [
            {
                "SecretID": ref.secret_id,
                "SecretName": ref.secret_name,
                "File": {"Name": f"{SECRETS_DIR}/{ref.key}", "UID": UID, "GID": UID, "Mode": 0o400},
            }
            for ref in sorted(spec.secrets, key=lambda r: r.key)
        ]
    limits: dict[str, Any] = {"Pids": 256}
    if spec.nano_cpus:
        limits["NanoCPUs"] = spec.nano_cpus
    if spec.memory_bytes:
        limits["MemoryBytes"] = spec.memory_bytes
    template: dict[str, Any] = {
        "ContainerSpec": container,
        "Resources": {"Limits": limits},
        "RestartPolicy": {"Condition": "any", "Delay": 1 * SECOND},
        "Networks": [{"Target": spec.network}],
    }
    digest = _with_hash(template)
    rolling = {"Parallelism": 1, "Delay": 0, "Monitor": 2 * SECOND, "Order": "start-first"}
    kwargs = {
        "name": name,
        "task_template": template,
        "labels": {LABEL_AGENT: spec.agent, LABEL_ENV: spec.env, LABEL_ROLE: "agent"} | spec.labels,
        "mode": {"Replicated": {"Replicas": spec.replicas}},
        "update_config": rolling | {"FailureAction": "rollback", "MaxFailureRatio": 0},
        "rollback_config": rolling | {"FailureAction": "pause"},
        # one DNS record per healthy replica; the front spreads connections over them
        "endpoint_spec": {"Mode": "dnsrr"},
    }
    return kwargs, digest


PUBLISH_MODES = ("host", "ingress")


def front_service(
    agent: str,
    env: str,
    image: str,
    network: str,
    scripts: list[tuple[str, str, str]],
    publish: str = "host",
    signing: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The front: one small proxy (and task queue) on the agent's network, published.

    ``scripts``: (config id, config name, file name) of front.py and its modules.
    ``signing``: (secret id, secret name) of the agent's webhook signing secrets.
    The tasks live on a named volume of the node (``nexus-AGENT-ENV-front``).
    ``publish="host"`` (the default) publishes the front's port on the node it
    runs on, which works without the ingress routing mesh (IPVS); the engine picks
    a free port, read back from the task's status. ``publish="ingress"`` publishes
    it through the routing mesh: every node of the swarm answers on the port (the
    service's virtual IP), and the port is read from the service's endpoint.
    """
    if publish not in PUBLISH_MODES:
        raise ValueError(f"publish mode {publish!r} is not one of {PUBLISH_MODES}")
    container = _hardened(image)
    container["Command"] = ["python3", FRONT_SCRIPT]
    container["Env"] = [
        f"NEXUS_FRONT_BACKEND={service_name(agent, env)}",  # dnsrr: one record per replica
        f"NEXUS_FRONT_BACKEND_PORT={PORT}",
        f"PORT={PORT}",
        f"NEXUS_AGENT={agent}",
        f"NEXUS_ENV={env}",
        f"NEXUS_FRONT_STATE={FRONT_STATE}",
        f"NEXUS_WEBHOOK_SECRETS={FRONT_HOOK_SECRETS}",
    ]
    container["Mounts"] = [
        *container["Mounts"],
        {
            "Type": "volume",
            "Source": f"{front_name(agent, env)}-state",
            "Target": FRONT_STATE,
            "VolumeOptions": {"Labels": {LABEL_AGENT: agent, LABEL_ENV: env, LABEL_ROLE: "state"}},
        },
    ]
    if signing is not None:
        container["Secrets"] = [
            {
                "SecretID": signing[0],
                "SecretName": signing[1],
                "File": {"Name": FRONT_HOOK_SECRETS, "UID": UID, "GID": UID, "Mode": 0o400},
            }
        ]
    folder = FRONT_SCRIPT.rsplit("/", 1)[0]
    container["Configs"] = [
        {
            "ConfigID": config_id,
            "ConfigName": config_name,
            "File": {"Name": f"{folder}/{file}", "UID": UID, "GID": UID, "Mode": 0o444},
        }
        for config_id, config_name, file in scripts
    ]
    template = {
        "ContainerSpec": container,
        "Resources": {"Limits": {"Pids": 64, "MemoryBytes": 64 << 20}},
        "RestartPolicy": {"Condition": "any", "Delay": 1 * SECOND},
        "Networks": [{"Target": network}],
    }
    _with_hash(template)
    port = {"Protocol": "tcp", "TargetPort": PORT, "PublishMode": publish}
    return {
        "name": front_name(agent, env),
        "task_template": template,
        "labels": {LABEL_AGENT: agent, LABEL_ENV: env, LABEL_ROLE: "front"},
        "mode": {"Replicated": {"Replicas": 1}},
        # the mesh balances over a virtual IP; host mode needs none
        "endpoint_spec": {"Mode": "vip" if publish == "ingress" else "dnsrr", "Ports": [port]},
    }
