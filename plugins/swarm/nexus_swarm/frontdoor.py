"""The front service of an agent environment and the endpoint it publishes."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from nexus_cli.errors import OperationFailed
from nexus_swarm.engine import LABEL_AGENT, LABEL_ROLE, front_name, remote
from nexus_swarm.rollout import tasks
from nexus_swarm.spec import front_service

FRONT_WAIT_S = 60.0


def script(client: Any, agent: str) -> tuple[str, str]:
    """The swarm config holding front.py for this agent: (id, name), created once."""
    from docker.errors import APIError

    data = (Path(__file__).parent / "front.py").read_bytes()
    name = f"nexus-{agent}-front-{hashlib.sha256(data).hexdigest()[:10]}"
    with remote("reading the front script"):
        found = client.configs.list(filters={"name": name})
    for config in found:
        if config.name == name:
            return str(config.id), name
    labels = {LABEL_AGENT: agent, LABEL_ROLE: "script"}
    try:
        made = client.configs.create(name=name, data=data, labels=labels)
    except APIError as exc:
        if exc.status_code != 409:  # another deployer created it meanwhile
            raise
        return script(client, agent)
    return str(made.id), name


def find(client: Any, agent: str, env: str) -> Any | None:
    from docker.errors import NotFound

    try:
        return client.services.get(front_name(agent, env))
    except NotFound:
        return None


def ensure(client: Any, agent: str, env: str, image: str, network: str) -> Any:
    """The environment's front, created with ``image`` (any image with python3) if missing."""
    service = find(client, agent, env)
    if service is not None:
        return service
    kwargs = front_service(agent, env, image, network, script(client, agent))
    with remote("creating the front service"):
        created = client.api.create_service(**kwargs)
    return client.services.get(created["ID"])


def published(client: Any, service: Any) -> tuple[str, int] | None:
    """(node address, host port) of the front's running task, if it runs."""
    for task in tasks(client, service.id):
        status = task.get("Status", {})
        ports = (status.get("PortStatus") or {}).get("Ports") or []
        if status.get("State") != "running" or not ports:
            continue
        with remote("reading the node of the front"):
            node = client.api.inspect_node(task["NodeID"])
        address = node.get("Status", {}).get("Addr") or "127.0.0.1"
        if address in ("0.0.0.0", ""):
            address = "127.0.0.1"
        return address, int(ports[0]["PublishedPort"])
    return None


def endpoint(client: Any, agent: str, env: str, host: str | None, wait: bool = False) -> str | None:
    """``http://ADDRESS:PORT`` of the environment's front (None when it has none)."""
    service = find(client, agent, env)
    if service is None:
        return None
    deadline = time.monotonic() + (FRONT_WAIT_S if wait else 0)
    while True:
        found = published(client, service)
        if found is not None:
            return f"http://{host or found[0]}:{found[1]}"
        if time.monotonic() >= deadline:
            if wait:
                raise OperationFailed(
                    f"the front of {agent} ({front_name(agent, env)}) did not start "
                    f"within {FRONT_WAIT_S:.0f}s",
                    hint=f"docker service ps --no-trunc {front_name(agent, env)}",
                )
            return None
        time.sleep(0.3)
