"""``AgentCoreProvider``: agents on Amazon Bedrock AgentCore Runtime."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, ClassVar

from nexus_imagekit.images import local_engine

from nexus_agentcore import invoke, stores, views
from nexus_agentcore.aws import Aws
from nexus_agentcore.images import container_uri
from nexus_agentcore.runtime import Runtimes, describe, parse
from nexus_agentcore.views import ENVIRONMENTS, version_of
from nexus_cli.errors import NotFound, UsageError
from nexus_cli.providers.base import (
    AgentStatus,
    AgentSummary,
    Capability,
    DeleteResult,
    DeployRequest,
    DeployResult,
    History,
    LogQuery,
    ProgressFn,
    Provider,
    RunResult,
    Secret,
    SecretChange,
)


class AgentCoreProvider(Provider):
    """Each agent is an AgentCore runtime; each environment one of its endpoints."""

    name = "agentcore"
    description = "Amazon Bedrock AgentCore Runtime: images in ECR, one endpoint per environment"
    capabilities = frozenset(
        {Capability.DEPLOY, Capability.RUN, Capability.STREAM, Capability.ROLLBACK}
        | {Capability.SECRETS}
        | {Capability.LOGS, Capability.LOGS_FOLLOW}
    )
    options: ClassVar[dict[str, str]] = {
        "region": "AWS region (default: the AWS chain's, e.g. AWS_REGION)",
        "role_arn": "IAM role ARN the runtime runs as (needed to deploy)",
        "repository": "ECR repository name for the agent images (needed to deploy)",
        "network_mode": "PUBLIC (default) or VPC",
        "platform": "image platform: linux/arm64 (AgentCore's; default) or linux/amd64 (tests)",
        "profile": "AWS profile (default: AWS_PROFILE, else the default chain)",
        "endpoint_url": "AWS endpoint override, e.g. a moto server on loopback",
        "data_endpoint_url": "endpoint of InvokeAgentRuntime (run, stream) if not endpoint_url's",
        "registry": "push images here instead of to ECR (a local registry standing in for it)",
        "timeout": "seconds to wait for READY (default 900)",
    }

    def __init__(self, *, notice: ProgressFn | None = None, **options: Any) -> None:
        super().__init__(notice=notice, **options)
        self._aws: Aws | None = None

    @property
    def aws(self) -> Aws:
        if self._aws is None:
            self._aws = Aws(
                self.option("region"),
                self.option("endpoint_url"),
                self.option("profile"),
                self.option("data_endpoint_url"),
            )
        return self._aws

    @property
    def runtimes(self) -> Runtimes:
        return Runtimes(self.aws, float(self.option("timeout") or 900))

    def _runtime(self, name: str) -> dict[str, Any]:
        found = self.runtimes.find(name)
        if found is None:
            raise NotFound(f"agent {name!r} has no AgentCore runtime", hint="nexus ai agent list")
        return found

    # ------------------------------------------------------------ deploy

    def deploy(self, request: DeployRequest, progress: ProgressFn) -> DeployResult:
        from nexus_imagekit import images

        started = time.monotonic()
        role = self.option("role_arn", required=True)
        repository = self.option("repository", required=True)
        assert role is not None
        assert repository is not None
        rt = self.runtimes
        existing = rt.find(request.name)
        runtime_id = str(existing["agentRuntimeId"]) if existing else None
        known = rt.versions(runtime_id) if runtime_id else []
        engine = local_engine()
        home = images.build_home(self.name)
        image_id, _ref, project_version = images.build(
            engine, home, len(known) + 1, request, progress
        )
        self._check_platform(engine, image_id)
        serving = rt.endpoint(runtime_id, request.env) if runtime_id else None
        same = [v for v in known if parse(v.get("description"))[1] == image_id]
        if serving is not None and any(
            v["agentRuntimeVersion"] == serving.get("targetVersion") for v in same
        ):
            target = next(v for v in same if v["agentRuntimeVersion"] == serving["targetVersion"])
            return self._result(request, target, serving, started, unchanged=True)
        if same:
            version = str(same[-1]["agentRuntimeVersion"])
        else:
            uri = container_uri(
                self.aws, engine, repository, self.option("registry"), image_id, progress
            )
            label = request.spec.label or project_version or f"v{len(known) + 1}"
            if label in {parse(v.get("description"))[0] for v in known}:
                label = f"{label}+v{len(known) + 1}"
            variables = {"NEXUS_AGENT": request.name}
            refs = stores.references(self.aws, request.name, request.env)
            if refs:
                variables["NEXUS_SECRET_ARNS"] = json.dumps(refs, sort_keys=True)
            settings = {
                "agentRuntimeArtifact": {"containerConfiguration": {"containerUri": uri}},
                "roleArn": role,
                "networkConfiguration": {"networkMode": self.option("network_mode") or "PUBLIC"},
                "environmentVariables": variables,
                "description": describe(label, image_id),
            }
            progress("creating the runtime version")
            runtime_id = rt.put(request.name, runtime_id, settings)
            ready_id = runtime_id
            ready = rt.wait(lambda: rt.get(ready_id), "runtime", progress)
            version = str(ready["agentRuntimeVersion"])
        assert runtime_id is not None
        endpoint = rt.point(runtime_id, request.env, version, progress)
        entry = next(v for v in rt.versions(runtime_id) if v["agentRuntimeVersion"] == version)
        return self._result(request, entry, endpoint, started)

    def _check_platform(self, engine: Any, image_id: str) -> None:
        wanted = self.option("platform") or "linux/arm64"
        arch = str(engine.images.get(image_id).attrs.get("Architecture", "?"))
        if wanted.split("/")[-1] != arch:
            raise UsageError(
                f"the image is linux/{arch} but the agentcore provider wants {wanted} "
                "(AgentCore Runtime runs linux/arm64 images)",
                hint="build on an arm64 machine (or point NEXUS_BASE_IMAGE at an arm64 base); "
                "platform=linux/amd64 only suits tests against an emulated AgentCore",
            )

    def _result(
        self,
        request: DeployRequest,
        entry: dict[str, Any],
        endpoint: dict[str, Any],
        started: float,
        unchanged: bool = False,
    ) -> DeployResult:
        return DeployResult(
            name=request.name,
            env=request.env,
            version=version_of(entry, [request.env]),
            replicas=[],
            endpoint=endpoint.get("agentRuntimeEndpointArn"),
            duration_s=round(time.monotonic() - started, 2),
            unchanged=unchanged,
        )

    def rollback(self, name: str, env: str, version: str | None) -> DeployResult:
        started = time.monotonic()
        rt = self.runtimes
        runtime_id = str(self._runtime(name)["agentRuntimeId"])
        current = rt.endpoint(runtime_id, env)
        if current is None:
            raise NotFound(f"{name} has no {env} endpoint on AgentCore", hint="nexus ai agent list")
        known = rt.versions(runtime_id)
        serving = int(current.get("targetVersion") or 0)
        if version is not None:
            target = next(
                (
                    v
                    for v in known
                    if version
                    in (
                        version_of(v).label,
                        f"r{v['agentRuntimeVersion']}",
                        str(v["agentRuntimeVersion"]),
                    )
                ),
                None,
            )
            if target is None:
                raise NotFound(
                    f"{name} has no version {version!r}", hint=f"nexus ai agent history {name}"
                )
        else:
            earlier = [v for v in known if int(v["agentRuntimeVersion"]) < serving]
            if not earlier:
                raise UsageError(
                    f"{name} has no version before {serving} to roll back to",
                    hint=f"nexus ai agent history {name}",
                )
            target = earlier[-1]
        endpoint = rt.point(runtime_id, env, str(target["agentRuntimeVersion"]), self.notice)
        from nexus_api.deploy import DeploySpec

        request = DeployRequest(name, DeploySpec(env=env))
        return self._result(request, target, endpoint, started)

    def scale(
        self, name: str, env: str, replicas: int | None, autoscale: bool | None
    ) -> AgentStatus:
        raise self.unsupported("scaling (AgentCore scales sessions by itself)")

    # ------------------------------------------------------------ calls and logs

    def run(self, name: str, input: Any, context: dict[str, Any], env: str | None) -> RunResult:
        runtime = self._runtime(name)
        qualifier = invoke.qualifier(self.runtimes, name, str(runtime["agentRuntimeId"]), env)
        return invoke.run(self.aws, name, runtime["agentRuntimeArn"], qualifier, input, context)

    def stream(
        self, name: str, input: Any, context: dict[str, Any], env: str | None
    ) -> Iterator[dict[str, Any]]:
        runtime = self._runtime(name)
        qualifier = invoke.qualifier(self.runtimes, name, str(runtime["agentRuntimeId"]), env)
        arn = runtime["agentRuntimeArn"]
        yield from invoke.stream(self.aws, name, arn, qualifier, input, context)

    def logs(self, name: str, query: LogQuery) -> Iterator[dict[str, Any]]:
        runtime_id = str(self._runtime(name)["agentRuntimeId"])
        envs = (
            [query.env]
            if query.env
            else [
                e["name"] for e in self.runtimes.endpoints(runtime_id) if e["name"] in ENVIRONMENTS
            ]
        )
        if query.follow and len(envs) > 1:
            raise UsageError(
                "say which environment to follow",
                hint=f"nexus ai agent logs {name} -f --env {envs[0]}",
            )
        found = (
            [
                rec
                for env in envs
                for rec in stores.log_records(
                    self.aws, stores.log_group(runtime_id, env), env, query
                )
            ]
            if not query.follow
            else None
        )
        if found is None:
            yield from stores.log_records(
                self.aws, stores.log_group(runtime_id, envs[0]), envs[0], query
            )
        else:
            yield from sorted(found, key=lambda r: r["time"])

    # ------------------------------------------------------------ secrets

    def secret_set(self, name: str, key: str, value: str, env: str | None) -> SecretChange:
        scope = env or stores.ALL
        digest = stores.put_secret(self.aws, name, key, value, scope)
        return SecretChange(
            name=key,
            scope=scope,
            digest=digest,
            key_store="AWS Secrets Manager (the runtime reads it with its role; new keys reach "
            "it with the next deploy)",
        )

    def secret_list(self, name: str) -> list[Secret]:
        return [secret for secret, _arn in stores.secrets(self.aws, name)]

    def secret_delete(self, name: str, key: str, env: str | None) -> SecretChange:
        scope = env or stores.ALL
        if not stores.delete_secret(self.aws, name, key, scope):
            raise NotFound(
                f"{name} has no secret {key} for {scope}", hint="nexus ai agent secret list"
            )
        return SecretChange(name=key, scope=scope, deleted=True)

    # ------------------------------------------------------------ reading

    def list_agents(self) -> list[AgentSummary]:
        return views.summaries(self.runtimes)

    def status(self, name: str, env: str | None) -> AgentStatus:
        runtime_id = str(self._runtime(name)["agentRuntimeId"])
        return views.status(self.runtimes, name, runtime_id, env)

    def history(self, name: str) -> History:
        runtime_id = str(self._runtime(name)["agentRuntimeId"])
        return views.history(self.runtimes, name, runtime_id)

    def delete(self, name: str) -> DeleteResult:
        runtime_id = str(self._runtime(name)["agentRuntimeId"])
        self.runtimes.delete(runtime_id)
        for secret, _arn in stores.secrets(self.aws, name):
            stores.delete_secret(self.aws, name, secret.name, secret.scope)
        from nexus_imagekit import images

        images.remove_local(local_engine(), images.build_home(self.name), name)
        return DeleteResult(name=name)
