"""The swarm manager's Docker engine: connecting, naming, labels, and its errors as NexusErrors.

Every object Nexus creates in a swarm carries ``dev.nexus.*`` labels, so the
swarm itself is the record: services (one per agent and environment, plus a
front per environment), configs (versions and history events), secrets.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from nexus_cli.errors import RemoteError, Unavailable

LABEL_AGENT = "dev.nexus.agent"
LABEL_ENV = "dev.nexus.env"
LABEL_ROLE = "dev.nexus.role"  # agent | front | version | event | secret | script
LABEL_REVISION = "dev.nexus.revision"
LABEL_VERSION = "dev.nexus.version"  # the version label, e.g. 1.2.0
LABEL_DIGEST = "dev.nexus.digest"  # image id: the same content gives the same digest
LABEL_IMAGE = "dev.nexus.image"  # registry reference pinned by digest
LABEL_AT = "dev.nexus.at"
LABEL_DECLARED = "dev.nexus.declared"  # nexus.toml's sizes at the last deploy (JSON)
LABEL_BY = "dev.nexus.by"

DEFAULT_SOCKET = "unix:///var/run/docker.sock"


def service_name(agent: str, env: str) -> str:
    return f"nexus-{agent}-{env}"


def front_name(agent: str, env: str) -> str:
    return f"nexus-{agent}-{env}-front"


def network_name(agent: str) -> str:
    return f"nexus-{agent}-net"


def where(host: str | None) -> str:
    return host or os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET


def connect(host: str | None) -> Any:
    """A docker client of a swarm manager, or Unavailable saying what was tried."""
    import docker
    from docker.errors import DockerException
    from requests.exceptions import RequestException

    try:
        client = docker.DockerClient(base_url=host) if host else docker.from_env()
        info = client.info()
    except (DockerException, RequestException) as exc:
        raise Unavailable(
            f"cannot reach the Docker engine at {where(host)}: {exc}",
            hint="start dockerd there, or set the swarm provider's docker_host option "
            "(NEXUS_SWARM_DOCKER_HOST or DOCKER_HOST) to a swarm manager",
        ) from None
    swarm = info.get("Swarm") or {}
    if swarm.get("LocalNodeState") != "active" or not swarm.get("ControlAvailable"):
        state = swarm.get("LocalNodeState") or "unknown"
        raise Unavailable(
            f"the Docker engine at {where(host)} is not a swarm manager (swarm state: {state})",
            hint="docker swarm init --advertise-addr 127.0.0.1  # a one-node swarm; "
            "or point docker_host at a manager of your swarm",
        )
    return client


@contextmanager
def remote(what: str) -> Iterator[None]:
    """Turn the engine's refusals into OperationFailed with its status code and message."""
    from docker.errors import APIError
    from requests.exceptions import ConnectionError as RequestsConnectionError

    try:
        yield
    except APIError as exc:
        status = exc.status_code or "?"
        raise RemoteError(
            f"{what}: the swarm manager answered {status}: {exc.explanation or exc}",
            hint="docker service ls; docker node ls  # the swarm's own view",
        ) from None
    except RequestsConnectionError as exc:
        raise Unavailable(f"{what}: lost the Docker engine: {exc}") from None


def labelled(**labels: str) -> dict[str, list[str]]:
    """A ``filters`` argument matching every given ``dev.nexus.<key>=<value>``."""
    return {"label": [f"dev.nexus.{key}={value}" for key, value in labels.items()]}


def listed(collection: Any, agent: str, role: str, what: str) -> list[tuple[Any, dict[str, str]]]:
    """The agent's objects of a ``role`` in ``collection`` (``client.configs``,
    ``client.secrets``), each with its labels; ``what`` names the listing in errors."""
    with remote(what):
        found = collection.list(filters=labelled(agent=agent, role=role))
    return [(item, item.attrs["Spec"].get("Labels") or {}) for item in found]
