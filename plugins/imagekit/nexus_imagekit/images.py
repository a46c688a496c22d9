"""Agent images for remote providers: built like the emulator builds them, pushed to a registry.

A remote host pulls the image from a registry, so a version is pinned as
``<repository>@sha256:...``. The build itself (base image, cached
dependency layer, SDK, code) is the emulator's
:func:`~nexus_emulator.runtime.docker_build.build_image`, run with the
local Docker engine. Public for the providers that build images (swarm,
agentcore, kubernetes): it lives here, in the provider layer, because the CLI
core never imports the emulator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nexus_cli.errors import OperationFailed, ProjectError, Unavailable
from nexus_cli.providers.base import DeployRequest, ProgressFn


def local_engine() -> Any:
    """The local Docker engine that builds the image."""
    import docker
    from docker.errors import DockerException
    from requests.exceptions import RequestException

    try:
        client = docker.from_env()
        client.ping()
    except (DockerException, RequestException) as exc:
        raise Unavailable(
            f"cannot reach the local Docker engine that builds the agent image: {exc}",
            hint="start dockerd, or deploy a prebuilt image with --image",
        ) from None
    return client


def build_home(provider: str) -> Path:
    """A provider's build contexts and wheel cache (apart from the emulator's images)."""
    from nexus.settings import Settings

    return Settings.load().home / provider


def build(
    client: Any,
    home: Path,
    revision: int,
    request: DeployRequest,
    progress: ProgressFn,
) -> tuple[str, str, str | None]:
    """The local image of the request: (image id, reference, project version)."""
    from nexus_emulator.runtime.base import BuildFailed, BuildSpec
    from nexus_emulator.runtime.docker_build import build_image, resolve_image

    asked = request.spec
    try:
        if asked.image is not None:
            artifact = resolve_image(client, asked.image)
            return artifact.digest, artifact.ref, None
        project = asked.project
        if request.source is None or project is None or not project.entrypoint:
            raise ProjectError("nothing to deploy: no project directory and no --image")
        spec = BuildSpec(
            agent=request.name,
            revision=revision,
            source_dir=request.source,
            entrypoint=project.entrypoint,
            dependencies=list(project.dependencies),
            python=project.python,
            base_image=project.base_image,  # NEXUS_BASE_IMAGE was applied by the CLI
        )
        progress("building the image")
        artifact = build_image(client, home, spec, lambda _line: None)
    except BuildFailed as exc:
        raise OperationFailed(exc.message, details=exc.tail[-15:]) from None
    return artifact.digest, artifact.ref, project.version


def push(
    client: Any,
    repository: str,
    image_id: str,
    progress: ProgressFn,
    auth: dict[str, str] | None = None,
) -> str:
    """Push the image to ``repository``; return the reference pinned by its registry digest."""
    registry = repository.split("/", 1)[0]
    tag = "c-" + image_id.split(":")[-1][:16]  # content-addressed: a redeploy pushes nothing new
    client.images.get(image_id).tag(repository, tag)
    progress(f"pushing to {registry}")
    digest = None
    error = None
    chunks = client.api.push(repository, tag, stream=True, decode=True, auth_config=auth)
    for chunk in chunks:
        if "error" in chunk:
            error = str(chunk["error"]).strip()
        aux = chunk.get("aux")
        if isinstance(aux, dict) and aux.get("Digest"):
            digest = str(aux["Digest"])
    if error:
        raise Unavailable(
            f"pushing {repository}:{tag} to the registry {registry} failed: {error}",
            hint="check that the registry answers (curl http://REGISTRY/v2/) and that this "
            "engine may push to it (a non-loopback registry needs TLS or insecure-registries)",
        )
    if digest is None:
        raise OperationFailed(f"the registry {registry} sent no digest for {repository}:{tag}")
    return f"{repository}@{digest}"


def remove_local(client: Any, home: Path, agent: str) -> int:
    """Remove the images built here for ``agent`` (every tag); return how many went."""
    from docker.errors import APIError, NotFound
    from nexus_emulator.runtime.base import LABEL_AGENT, LABEL_HOME

    labels = [f"{LABEL_AGENT}={agent}", f"{LABEL_HOME}={home}"]
    removed = 0
    for image in client.api.images(filters={"label": labels}):  # dicts: no inspect per image
        for ref in [*(image.get("RepoTags") or []), image["Id"]]:
            try:
                client.images.remove(ref, noprune=False)
            except (NotFound, APIError):  # gone with its last tag, or still in use
                continue
        removed += 1
    return removed
