"""The agent image in ECR: the repository, the push, the reference AgentCore runs."""

from __future__ import annotations

import base64
from typing import Any

from nexus_agentcore.aws import Aws, calling
from nexus_cli.providers.base import ProgressFn


def repository_uri(aws: Aws, repository: str) -> str:
    """The URI of the ECR repository, created (scan on push) when it does not exist."""
    ecr = aws.client("ecr")
    with calling(aws, f"reading the ECR repository {repository}"):
        try:
            found = ecr.describe_repositories(repositoryNames=[repository])["repositories"][0]
        except ecr.exceptions.RepositoryNotFoundException:
            found = ecr.create_repository(
                repositoryName=repository, imageScanningConfiguration={"scanOnPush": True}
            )["repository"]
    return str(found["repositoryUri"])


def container_uri(
    aws: Aws,
    engine: Any,
    repository: str,
    registry: str | None,
    image_id: str,
    progress: ProgressFn,
) -> str:
    """Push the image; return ``<ECR repository URI>@sha256:...`` for the runtime artifact.

    With ``registry`` the bytes go to that registry instead (a local registry standing in
    for ECR's storage in tests); the reference keeps the ECR repository's URI.
    """
    from nexus_imagekit import images

    uri = repository_uri(aws, repository)
    auth = None
    target = uri
    if registry:
        target = f"{registry}/{repository}"
    else:
        with calling(aws, "getting an ECR login"):
            data = aws.client("ecr").get_authorization_token()["authorizationData"][0]
        user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
        auth = {"username": user, "password": password, "serveraddress": data["proxyEndpoint"]}
    pinned = images.push(engine, target, image_id, progress, auth)
    return f"{uri}@{pinned.split('@', 1)[1]}"
