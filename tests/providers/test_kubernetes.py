"""The kubernetes provider's manifests, validated offline against the Kubernetes schemas.

Every command path renders through nexus_kubernetes.manifests: deploy, deploy with
secrets (a Secret, or an ExternalSecret reference), scale, autoscale (an HPA), rollback
(a recorded revision rendered again). `deploy --dry-run` prints them without a cluster.
A live cluster is used only where KUBECONFIG points at one.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from nexus_kubernetes import manifests
from nexus_kubernetes.manifests import Target
from nexus_kubernetes.provider import KubernetesProvider, target_of

from nexus.ai.spec import Cpu, Memory
from nexus_api.deploy import DeploySpec, Sizing
from nexus_cli.providers.base import DeployRequest
from tests.cli.cli_support import Result, base_env, free_port, nexus

VERSION = "1.30.0"
BASE = Target(
    agent="support-bot",
    env="production",
    namespace="agents",
    image="registry.example.com/nexus/support-bot@sha256:" + "ab" * 32,
    replicas=3,
    revision=4,
    label="1.2.0",
    digest="sha256:" + "cd" * 32,
    cpu="1",
    memory="1Gi",
)


def valid(docs: list[dict[str, Any]]) -> list[str]:
    """Validate every core manifest strictly; return the kinds seen."""
    for doc in docs:
        if doc["apiVersion"].startswith("external-secrets.io/"):
            continue  # a CRD: no schema in Kubernetes itself (its shape is checked below)
        kubernetes_validate.validate(doc, VERSION, strict=True)
    return [doc["kind"] for doc in docs]


def test_deploy_renders_a_hardened_deployment_and_service() -> None:
    docs = manifests.render(BASE)
    assert valid(docs) == ["Deployment", "Service"]
    pod = docs[0]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "1Gi"}
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["path"] == "/ping"
    assert docs[0]["spec"]["replicas"] == 3
    assert docs[0]["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    assert pod["automountServiceAccountToken"] is False


def test_secrets_render_as_a_secret_or_an_external_reference() -> None:
    keyed = dataclasses.replace(BASE, secret_keys=("API_KEY",))
    docs = manifests.render(keyed, {"API_KEY": "s3cret"})
    assert valid(docs) == ["Secret", "Deployment", "Service"]
    (container,) = docs[1]["spec"]["template"]["spec"]["containers"]
    assert container["envFrom"] == [{"secretRef": {"name": "support-bot-production-secrets"}}]
    assert "s3cret" not in json.dumps(docs[1])
    assert "s3cret" not in json.dumps(manifests.redacted(docs[0]))
    external = manifests.render(dataclasses.replace(keyed, secret_store="vault"))
    assert valid(external) == ["ExternalSecret", "Deployment", "Service"]
    spec = external[0]["spec"]
    assert spec["secretStoreRef"] == {"name": "vault", "kind": "SecretStore"}
    assert spec["data"][0]["remoteRef"]["key"] == "nexus/support-bot/production/API_KEY"


def test_scale_and_autoscale() -> None:
    scaled = manifests.render(dataclasses.replace(BASE, replicas=5))
    valid(scaled)
    assert scaled[0]["spec"]["replicas"] == 5
    auto = manifests.render(dataclasses.replace(BASE, autoscale=True))
    assert valid(auto) == ["Deployment", "Service", "HorizontalPodAutoscaler"]
    assert "replicas" not in auto[0]["spec"]  # the HPA owns the count
    hpa = auto[2]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 10)  # production's bounds


def test_rollback_renders_a_recorded_revision_again() -> None:
    record = {"target": json.dumps(dataclasses.asdict(BASE))}
    again = target_of(record)
    assert again == BASE
    assert manifests.render(again) == manifests.render(BASE)


def redeploy(serving: Target | None, before: Sizing | None, **asked: Any) -> Target:
    """The target of a deploy of BASE's agent while ``serving`` runs (None: the first)."""
    provider = KubernetesProvider(namespace="agents")
    request = DeployRequest("support-bot", DeploySpec.of(env="production", **asked))
    image = BASE.image.replace("ab", "ef")
    return provider.maketarget_of(request, image, 5, "1.3.0", serving=serving, before=before)


def test_a_redeploy_keeps_a_scaled_replica_count_unless_replicas_says_otherwise() -> None:
    """The rule of nexus_api.deploy.resolve, as the local and swarm providers apply it:
    BASE was deployed with nexus.toml's 3 replicas, then scaled to 5 (the Deployment's
    count, which is what `serving` carries)."""
    toml = Sizing(replicas=3, cpu=Cpu.parse("1"), memory=Memory.parse("1Gi"))
    scaled = dataclasses.replace(BASE, replicas=5)
    kept = redeploy(scaled, toml, declared=toml)  # a code-only redeploy
    assert (kept.replicas, kept.cpu, kept.memory) == (5, "1", "1Gi")
    docs = manifests.render(kept)
    valid(docs)
    assert docs[0]["spec"]["replicas"] == 5
    assert redeploy(scaled, toml, declared=toml, replicas=2).replicas == 2  # --replicas wins
    changed = Sizing(
        replicas=4, cpu=Cpu.parse("1"), memory=Memory.parse("1Gi")
    )  # nexus.toml's baseline changed
    assert redeploy(scaled, toml, declared=changed).replicas == 4
    assert redeploy(scaled, None, declared=toml).replicas == 5  # a record without nexus.toml's
    assert redeploy(None, None, declared=toml).replicas == 3  # the first deploy: nexus.toml
    assert redeploy(None, None).replicas == 2  # nothing said: production's default
    autoscaled = redeploy(dataclasses.replace(scaled, autoscale=True), toml, declared=toml)
    assert autoscaled.autoscale  # the HPA stays on
    assert "replicas" not in manifests.render(autoscaled)[0]["spec"]
    unset = redeploy(dataclasses.replace(BASE, cpu=None, memory=None), None)
    assert (unset.cpu, unset.memory) == (None, None)  # no limit appears that nobody set


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    env = base_env(tmp_path / "home", free_port())
    env.update(NEXUS_KUBERNETES_REGISTRY="registry.example.com", NEXUS_KUBERNETES_NAMESPACE="ai")
    env["KUBECONFIG"] = str(tmp_path / "no-kubeconfig")
    result = nexus("ai", "agent", "init", "kbot", "--path", str(tmp_path / "kbot"), env=env)
    assert result.code == 0, result.out
    return tmp_path / "kbot", env


def dry_run(root: Path, env: dict[str, str], *extra: str) -> Result:
    return nexus(
        "--provider", "kubernetes", *extra, "ai", "agent", "deploy", "--path", str(root),
        "--env", "staging", "--replicas", "2", "--dry-run", env=env,
    )  # fmt: skip


def test_deploy_dry_run_prints_valid_manifests(project: tuple[Path, dict[str, str]]) -> None:
    root, env = project
    result = dry_run(root, env)
    assert result.code == 0, result.out
    docs = list(yaml.safe_load_all(result.stdout))
    assert valid(docs) == ["Deployment", "Service"]
    assert docs[0]["metadata"]["namespace"] == "ai"
    assert docs[0]["spec"]["replicas"] == 2
    (container,) = docs[0]["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.example.com/nexus/kbot:0.1.0"
    as_json = dry_run(root, env, "--json")
    assert as_json.code == 0, as_json.out
    assert json.loads(as_json.stdout) == docs


def test_bad_input(project: tuple[Path, dict[str, str]]) -> None:
    root, env = project
    no_registry = dry_run(root, {**env, "NEXUS_KUBERNETES_REGISTRY": ""})
    assert no_registry.code == 2, no_registry.out
    assert "needs the option 'registry'" in no_registry.stderr
    assert "NEXUS_KUBERNETES_REGISTRY" in no_registry.stderr
    no_cluster = nexus("--provider", "kubernetes", "ai", "agent", "status", "kbot", env=env)
    assert no_cluster.code == 1, no_cluster.out
    assert "no Kubernetes cluster" in no_cluster.stderr
    assert "no-kubeconfig" in no_cluster.stderr  # what was tried
    local = nexus("ai", "agent", "deploy", "--path", str(root), "--dry-run", env=env)
    assert local.code == 2, local.out
    assert "--dry-run is not supported by provider 'local'" in local.stderr


def _cluster() -> str | None:
    config = os.environ.get("KUBECONFIG")
    if not config or not Path(config).is_file() or not os.environ.get("NEXUS_TEST_K8S_REGISTRY"):
        return None
    probe = subprocess.run(
        ["kubectl", "version", "--request-timeout=5s"], capture_output=True, check=False
    )
    return config if probe.returncode == 0 else None


@pytest.mark.skipif(
    _cluster() is None,
    reason="KUBECONFIG does not point at a reachable cluster (with NEXUS_TEST_K8S_REGISTRY, "
    "a registry it pulls from)",
)
def test_live_cluster(project: tuple[Path, dict[str, str]]) -> None:
    root, env = project
    env = {
        **env,
        "KUBECONFIG": os.environ["KUBECONFIG"],
        "NEXUS_KUBERNETES_REGISTRY": os.environ["NEXUS_TEST_K8S_REGISTRY"],
        "NEXUS_KUBERNETES_NAMESPACE": "default",
    }
    k8s = ("--provider", "kubernetes", "ai", "agent")
    deployed = nexus(*k8s, "deploy", "--path", str(root), "--env", "staging", env=env, timeout=600)
    assert deployed.code == 0, deployed.out
    status = nexus("--json", *k8s, "status", "kbot", env=env)
    assert json.loads(status.stdout)["environments"][0]["version"] == "0.1.0"
    assert nexus(*k8s, "delete", "kbot", "--yes", env=env).code == 0
