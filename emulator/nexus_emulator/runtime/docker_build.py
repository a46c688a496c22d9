"""Building agent images with the Docker engine (runs in a worker thread)."""

from __future__ import annotations

import hashlib
import shutil
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any

from nexus.settings import HomePaths

from ._files import sdk_root
from .base import LABEL_AGENT, LABEL_MOUNT, Artifact, BuildFailed, BuildSpec, LogFn
from .dockerfile import STAGE_LABEL, prepare_agent_context, prepare_deps_context
from .images import image_present, resolve_base_image
from .targets import image_target
from .wheels import TAIL_LINES, ensure_wheelhouse

BUILD_TIMEOUT = 3600  # seconds a build step may stay silent (the client default is 60)


def build_image(
    client: Any,
    home: Path,
    spec: BuildSpec,
    log: LogFn,
    *,
    base_image: str | None = None,
    sdk_dir: Path | None = None,
) -> Artifact:
    """Build the agent image of ``spec`` (or resolve ``spec.image``); raise BuildFailed."""
    if spec.image:
        return resolve_image(client, spec.image)
    build_dir = HomePaths(home).builds / spec.agent / f"r{spec.revision}"
    build_dir.mkdir(parents=True, exist_ok=True)
    with (build_dir / "build.log").open("w", encoding="utf-8") as record:

        def both(line: str) -> None:
            record.write(line + "\n")
            log(line)

        base = resolve_base_image(client, spec.python, spec.base_image or base_image, both)
        both(f"Base image: {base}")
        parent = base
        if spec.dependencies:
            parent = dependency_image(client, home, build_dir, base, spec.dependencies, both)
        sdk_package = (sdk_dir or sdk_root()) / "nexus"
        tag = agent_tag(home, spec.agent, spec.revision)
        labels = {LABEL_AGENT: spec.agent}
        if spec.mount is not None:  # nexus ai agent dev: replicas run this directory
            labels[LABEL_MOUNT] = str(spec.mount)
        ctx = prepare_agent_context(
            build_dir, parent, spec.entrypoint, spec.source_dir, sdk_package, str(home), labels
        )
        # No revision label: the same inputs give the same image id (every step
        # cached), so a redeploy of unchanged code is recognised by its digest.
        image_id = image_build(client, ctx, tag, {}, both)  # labels: one LABEL step, last
        shutil.rmtree(ctx, ignore_errors=True)
        both(f"Built {tag} ({image_id[:19]})")
        return Artifact(ref=tag, digest=image_id, base=base)


def home_key(home: Path) -> str:
    """Eight hex digits naming one NEXUS_HOME in image tags.

    Emulators with different homes may share one engine (a developer's own and the
    one a test session starts): a tag without the home would be moved, or removed,
    by the other emulator.
    """
    return hashlib.sha256(str(home).encode()).hexdigest()[:8]


def agent_tag(home: Path, agent: str, revision: int) -> str:
    return f"nexus/{agent}:r{revision}-{home_key(home)}"


def dependency_image(
    client: Any, home: Path, build_dir: Path, base: str, dependencies: list[str], log: LogFn
) -> str:
    """The tag of a base + virtualenv image for ``dependencies``, built once and reused."""
    target = image_target(client, base, HomePaths(home).images)
    wheelhouse = ensure_wheelhouse(home, dependencies, log, target)
    base_id = str(client.images.get(base).id).split(":")[-1][:12]
    tag = f"nexus-deps:{wheelhouse.name}-{base_id}-{home_key(home)}"
    if image_present(client, tag):
        log(f"Using cached dependency image {tag}")
        return tag
    log(f"Building dependency image {tag}")
    stage = f"install-{uuid.uuid4().hex[:12]}"  # only this build's stage is pruned below
    ctx = prepare_deps_context(build_dir, base, wheelhouse, stage, str(home))
    try:
        image_build(client, ctx, tag, {}, log)
    finally:
        shutil.rmtree(ctx, ignore_errors=True)
        prune_stage(client, stage)
    return tag


def prune_stage(client: Any, stage: str) -> None:
    """Remove a build's install stage; the engine runs one prune at a time, so wait a turn.

    Best effort: after a few seconds of other prunes the stage is left for the next one.
    """
    from docker.errors import APIError

    for _ in range(20):
        try:
            client.images.prune(filters={"dangling": True, "label": f"{STAGE_LABEL}={stage}"})
            return
        except APIError as exc:
            if exc.status_code != 409:  # 409: another prune is running
                raise
            time.sleep(0.25)


def resolve_image(client: Any, ref: str) -> Artifact:
    from docker.errors import ImageNotFound

    try:
        image = client.images.get(ref)
    except ImageNotFound:
        raise BuildFailed(
            f"image {ref!r} is not present locally: build it, `docker pull` it or "
            "`docker load` it first (images are never pulled at deploy time)",
            [],
        ) from None
    return Artifact(ref=ref, digest=image.id, base=None)


def image_build(client: Any, ctx: Path, tag: str, labels: dict[str, str], log: LogFn) -> str:
    from docker.errors import APIError

    tail: deque[str] = deque(maxlen=TAIL_LINES)
    image_id: str | None = None
    error: str | None = None
    pending = ""

    def line_out(line: str) -> None:
        line = line.rstrip()
        if line:
            tail.append(line)
            log(line)

    try:
        stream = client.api.build(
            path=str(ctx),
            tag=tag,
            labels=labels,
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
            timeout=BUILD_TIMEOUT,
        )
        for chunk in stream:
            if "stream" in chunk:
                pending += chunk["stream"]
                *lines, pending = pending.split("\n")
                for line in lines:
                    line_out(line)
            elif "error" in chunk:
                error = str(chunk["error"]).strip()
            elif "aux" in chunk and isinstance(chunk["aux"], dict):
                image_id = chunk["aux"].get("ID") or image_id
            elif "status" in chunk:
                line_out(str(chunk["status"]))
    except APIError as exc:
        error = str(exc.explanation or exc)
    line_out(pending)
    if error:
        line_out(error)
        raise BuildFailed(f"building {tag} failed: {error.splitlines()[0]}", list(tail))
    if image_id is None:
        image_id = str(client.images.get(tag).id)
    return image_id
