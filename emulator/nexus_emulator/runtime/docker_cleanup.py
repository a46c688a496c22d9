"""Removing the Docker runtime's images: one version's, all of a home's, and those
no version records any more (gc). Each takes the SDK's ``client.images``."""

from __future__ import annotations

from typing import Any

from .base import LABEL_AGENT, Artifact


def remove_image(images: Any, artifact: Artifact) -> None:
    from docker.errors import APIError, ImageNotFound

    try:
        tagged = images.get(artifact.ref).id == artifact.digest
    except ImageNotFound:
        tagged = False
    try:
        # its untagged parents go too (they would be left dangling); the engine keeps
        # a parent that another image is built on
        images.remove(artifact.ref if tagged else artifact.digest)
    except ImageNotFound:
        return
    except APIError as exc:  # in use by a container, or tagged elsewhere: keep it
        if exc.status_code != 409:
            raise


def _remove_every_tag(images: Any, image: Any) -> list[str]:
    refs = image.tags or [image.id]  # the image goes with its last tag
    for ref in refs:
        remove_image(images, Artifact(ref=ref, digest=image.id, base=""))
    return list(refs)


def remove_home_images(images: Any, home: str) -> None:
    """Every agent image of the home labelled ``home``, recorded as a version or not (a
    build cut short), then its dependency images (named and labelled for it alone)."""
    for image in images.list(filters={"label": [home, LABEL_AGENT]}):
        _remove_every_tag(images, image)
    for image in images.list(name="nexus-deps", filters={"label": [home]}):
        _remove_every_tag(images, image)


def collect_images(images: Any, home: str, keep: set[str]) -> list[str]:
    """Agent images of ``home`` no ref in ``keep`` names, then its dependency images that
    no kept agent image is built on (its parent chain); the refs removed."""
    from docker.errors import APIError, ImageNotFound

    gone: list[str] = []
    used: set[str] = set()
    for image in images.list(filters={"label": [home, LABEL_AGENT]}):
        if (set(image.tags) | {image.id}) & keep:
            parent = image.attrs.get("Parent")
            while parent and parent not in used:
                used.add(parent)
                try:
                    parent = images.get(parent).attrs.get("Parent")
                except ImageNotFound:
                    break
            continue
        gone += _remove_every_tag(images, image)
    for image in images.list(name="nexus-deps", filters={"label": [home]}):
        if image.id in used:
            continue
        for ref in image.tags or [image.id]:
            try:
                images.remove(ref, noprune=False)
                gone.append(ref)
            except (APIError, ImageNotFound):
                pass  # a build is using it right now, or it went meanwhile
    return gone
