"""A Kubernetes cluster through the official client: server-side apply, reads, records.

Imported only when a cluster is used (``kubernetes`` is a heavy import).
Every revision's manifests are kept in a ConfigMap ``nexus-<agent>-r<N>``
(Secret values excluded), so a rollback re-applies a recorded revision.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from nexus_cli.errors import NotFound, OperationFailed, RemoteError, Unavailable
from nexus_cli.providers.base import ProgressFn
from nexus_kubernetes.manifests import LABEL_AGENT, MANAGER


@contextmanager
def calling(what: str) -> Iterator[None]:
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        yield
    except ApiException as exc:
        if exc.status == 404:
            raise NotFound(f"{what}: not found in the cluster") from None
        reason = exc.reason or ""
        with suppress(ValueError):
            reason = json.loads(exc.body or "{}").get("message") or reason
        raise RemoteError(f"{what}: the cluster answered {exc.status}: {reason}") from None
    except HTTPError as exc:
        raise Unavailable(f"{what}: cannot reach the cluster's API server: {exc}") from None


class Cluster:
    def __init__(self, context: str | None, namespace: str) -> None:
        from kubernetes import client, config, dynamic
        from kubernetes.config.config_exception import ConfigException

        try:
            api = config.new_client_from_config(context=context)  # type: ignore[no-untyped-call]
        except (ConfigException, OSError) as exc:
            try:
                config.load_incluster_config()  # type: ignore[no-untyped-call]
                api = client.ApiClient()
            except ConfigException:
                where = os.environ.get("KUBECONFIG") or "~/.kube/config"
                raise Unavailable(
                    f"no Kubernetes cluster: {where} ({exc}) and no in-cluster configuration",
                    hint="point KUBECONFIG at a cluster, or print the manifests: "
                    "nexus ai agent deploy --provider kubernetes --dry-run",
                ) from None
        self.namespace = namespace
        self.core = client.CoreV1Api(api)
        self.apps = client.AppsV1Api(api)
        with calling("discovering the cluster's API"):
            self.dynamic = dynamic.DynamicClient(api)  # type: ignore[no-untyped-call]

    def apply(self, docs: list[dict[str, Any]]) -> None:
        for doc in docs:
            kind = f"{doc['kind']} {doc['metadata']['name']}"
            with calling(f"applying {kind}"):
                resource = self.dynamic.resources.get(
                    api_version=doc["apiVersion"], kind=doc["kind"]
                )
                self.dynamic.server_side_apply(  # type: ignore[no-untyped-call]
                    resource,
                    body=doc,
                    name=doc["metadata"]["name"],
                    namespace=self.namespace,
                    field_manager=MANAGER,
                    force_conflicts=True,
                )

    def wait_rollout(self, name: str, progress: ProgressFn, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        shown = ""
        while True:
            with calling(f"reading Deployment {name}"):
                dep = self.apps.read_namespaced_deployment(name, self.namespace).to_dict()
            spec, status = dep["spec"], dep.get("status") or {}
            want = spec.get("replicas") or 0
            updated = status.get("updated_replicas") or 0
            ready = status.get("available_replicas") or 0
            line = f"replicas ready {min(updated, ready)}/{want}"
            if line != shown:
                progress(line)
                shown = line
            current = (status.get("observed_generation") or 0) >= dep["metadata"]["generation"]
            if current and updated == want and ready >= want and status.get("replicas") == want:
                return dep
            if time.monotonic() > deadline:
                raise OperationFailed(
                    f"Deployment {name} did not roll out within {timeout:.0f}s ({line})",
                    hint=f"kubectl -n {self.namespace} describe deployment {name}",
                )
            time.sleep(1.0)

    # ------------------------------------------------------------ records

    def record(
        self, agent: str, revision: int, meta: dict[str, str], docs: list[dict[str, Any]]
    ) -> None:
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": f"nexus-{agent}-r{revision}",
                "namespace": self.namespace,
                "labels": {LABEL_AGENT: agent, "nexus.dev/role": "revision"},
            },
            "data": {**meta, "manifests": json.dumps(docs, sort_keys=True)},
        }
        self.apply([body])

    def records(self, agent: str) -> list[dict[str, str]]:
        with calling("listing revisions"):
            found = self.core.list_namespaced_config_map(
                self.namespace, label_selector=f"{LABEL_AGENT}={agent},nexus.dev/role=revision"
            )
        out = [dict(item.data or {}) for item in found.items]
        return sorted(out, key=lambda d: int(d.get("revision", "0")))

    def deployments(self, agent: str | None = None) -> list[dict[str, Any]]:
        selector = f"{LABEL_AGENT}={agent}" if agent else LABEL_AGENT
        with calling("listing Deployments"):
            found = self.apps.list_namespaced_deployment(self.namespace, label_selector=selector)
        return [item.to_dict() for item in found.items]

    def secret_values(self, name: str) -> dict[str, str]:
        import base64

        from kubernetes.client.exceptions import ApiException

        try:
            found = self.core.read_namespaced_secret(name, self.namespace)
        except ApiException as exc:
            if exc.status == 404:
                return {}
            raise
        return {k: base64.b64decode(v).decode() for k, v in (found.data or {}).items()}

    def delete_agent(self, agent: str) -> int:
        selector = f"{LABEL_AGENT}={agent}"
        count = 0
        with calling(f"deleting {agent}"):
            for kind in ("HorizontalPodAutoscaler", "Service", "Deployment", "Secret", "ConfigMap"):
                api_version = {"Deployment": "apps/v1", "HorizontalPodAutoscaler": "autoscaling/v2"}
                resource = self.dynamic.resources.get(
                    api_version=api_version.get(kind, "v1"), kind=kind
                )
                items = resource.get(namespace=self.namespace, label_selector=selector).items
                for item in items:
                    resource.delete(name=item.metadata.name, namespace=self.namespace)
                    count += 1
        return count
