"""Kubernetes manifests of an agent environment, as plain dicts (no client library needed).

One Deployment (hardened like a local replica: non-root, read-only root
with an emptyDir /tmp, every capability dropped, no privilege escalation,
RuntimeDefault seccomp, CPU/memory limits, probes on /ping), one ClusterIP
Service, the agent's secrets as a Secret (or an ExternalSecret reading a
SecretStore), and a HorizontalPodAutoscaler when autoscaling is on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PORT = 8080
UID = 10001
MANAGER = "nexus"  # the field manager of server-side apply
LABEL_AGENT = "nexus.dev/agent"
LABEL_ENV = "nexus.dev/env"
ANNOTATION_REVISION = "nexus.dev/revision"
ANNOTATION_VERSION = "nexus.dev/version"
ANNOTATION_DIGEST = "nexus.dev/digest"
BOUNDS = {"development": (1, 1), "staging": (1, 3), "production": (2, 10)}


@dataclass(frozen=True)
class Target:
    """What one environment of an agent should run."""

    agent: str
    env: str
    namespace: str
    image: str
    replicas: int
    revision: int
    label: str
    digest: str = ""
    cpu: str | None = None  # Kubernetes quantities, e.g. 500m / 512Mi
    memory: str | None = None
    secret_keys: tuple[str, ...] = ()
    secret_store: str | None = None  # an external-secrets SecretStore: reference, not values
    autoscale: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)


def name(target: Target) -> str:
    return f"{target.agent}-{target.env}"


def _meta(target: Target, kind_name: str) -> dict[str, Any]:
    return {
        "name": kind_name,
        "namespace": target.namespace,
        "labels": {
            LABEL_AGENT: target.agent,
            LABEL_ENV: target.env,
            "app.kubernetes.io/name": target.agent,
            "app.kubernetes.io/managed-by": MANAGER,
        },
    }


def _probe(period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": "/ping", "port": PORT},
        "periodSeconds": period,
        "timeoutSeconds": 2,
        "failureThreshold": failures,
    }


def _container(target: Target) -> dict[str, Any]:
    resources: dict[str, dict[str, str]] = {"limits": {}, "requests": {}}
    if target.cpu:
        resources["limits"]["cpu"] = resources["requests"]["cpu"] = target.cpu
    if target.memory:
        resources["limits"]["memory"] = resources["requests"]["memory"] = target.memory
    env = [
        {"name": "NEXUS_AGENT", "value": target.agent},
        {"name": "NEXUS_ENV", "value": target.env},
    ]
    env += [{"name": k, "value": v} for k, v in sorted(target.extra_env.items())]
    container: dict[str, Any] = {
        "name": "agent",
        "image": target.image,
        "ports": [{"name": "http", "containerPort": PORT}],
        "env": env,
        "resources": {k: v for k, v in resources.items() if v},
        "readinessProbe": _probe(2, 3),
        "livenessProbe": _probe(10, 3),
        "startupProbe": _probe(1, 60),
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    if target.secret_keys:
        # every key of the Secret becomes a variable; values never sit in the Deployment
        container["envFrom"] = [{"secretRef": {"name": f"{name(target)}-secrets"}}]
    return container


def deployment(target: Target) -> dict[str, Any]:
    meta = _meta(target, name(target))
    meta["annotations"] = {
        ANNOTATION_REVISION: str(target.revision),
        ANNOTATION_VERSION: target.label,
        ANNOTATION_DIGEST: target.digest,
    }
    selector = {LABEL_AGENT: target.agent, LABEL_ENV: target.env}
    spec: dict[str, Any] = {
        "selector": {"matchLabels": selector},
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},  # start-first
        },
        "revisionHistoryLimit": 10,
        "template": {
            "metadata": {"labels": dict(meta["labels"]), "annotations": dict(meta["annotations"])},
            "spec": {
                "automountServiceAccountToken": False,
                "enableServiceLinks": False,
                "terminationGracePeriodSeconds": 7,
                "securityContext": {"runAsNonRoot": True, "fsGroup": UID},
                "containers": [_container(target)],
                "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
            },
        },
    }
    if not target.autoscale:  # with an HPA, the HPA owns the replica count
        spec["replicas"] = target.replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}


def service(target: Target) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(target, name(target)),
        "spec": {
            "type": "ClusterIP",
            "selector": {LABEL_AGENT: target.agent, LABEL_ENV: target.env},
            "ports": [{"name": "http", "port": 80, "targetPort": PORT}],
        },
    }


def secret(target: Target, values: dict[str, str]) -> dict[str, Any]:
    """The agent's Secret for this environment (``stringData``: applied, never printed)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(target, f"{name(target)}-secrets"),
        "type": "Opaque",
        "stringData": dict(sorted(values.items())),
    }


def external_secret(target: Target) -> dict[str, Any]:
    """An external-secrets.io ExternalSecret: the cluster fetches the values from its store."""
    return {
        "apiVersion": "external-secrets.io/v1beta1",
        "kind": "ExternalSecret",
        "metadata": _meta(target, f"{name(target)}-secrets"),
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"name": target.secret_store, "kind": "SecretStore"},
            "target": {"name": f"{name(target)}-secrets"},
            "data": [
                {
                    "secretKey": key,
                    "remoteRef": {"key": f"nexus/{target.agent}/{target.env}/{key}"},
                }
                for key in sorted(target.secret_keys)
            ],
        },
    }


def autoscaler(target: Target) -> dict[str, Any]:
    low, high = BOUNDS.get(target.env, (1, 3))
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _meta(target, name(target)),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name(target)},
            "minReplicas": low,
            "maxReplicas": high,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 70},
                    },
                }
            ],
        },
    }


def render(target: Target, secret_values: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Every manifest of the environment, in the order they are applied."""
    docs: list[dict[str, Any]] = []
    if target.secret_keys:
        if target.secret_store:
            docs.append(external_secret(target))
        else:
            docs.append(secret(target, secret_values or {k: "" for k in target.secret_keys}))
    docs += [deployment(target), service(target)]
    if target.autoscale:
        docs.append(autoscaler(target))
    return docs


def redacted(doc: dict[str, Any]) -> dict[str, Any]:
    """A manifest fit to print: a Secret's values replaced by a placeholder."""
    if doc.get("kind") != "Secret":
        return doc
    data = {k: "(set with nexus ai agent secret set)" for k in doc.get("stringData", {})}
    return {**doc, "stringData": data}
