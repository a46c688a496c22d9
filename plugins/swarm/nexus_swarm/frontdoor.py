"""The front service of an agent environment and the endpoint it publishes."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from nexus_cli.errors import OperationFailed
from nexus_swarm import hooks
from nexus_swarm.engine import LABEL_AGENT, LABEL_ROLE, front_name, remote
from nexus_swarm.rollout import spec_hash, tasks
from nexus_swarm.spec import LABEL_SPEC, front_service

FRONT_WAIT_S = 60.0


FILES = ("front.py", "fronttasks.py", "frontstore.py", "fronthooks.py")
SHARED = "standard_webhooks.py"  # the emulator's webhook signing, from the nexus package


def source(file: str) -> Path:
    if file == SHARED:
        import nexus

        return Path(nexus.__file__).parent / file
    return Path(__file__).parent / file


def scripts(client: Any, agent: str) -> list[tuple[str, str, str]]:
    """(config id, config name, file name) of each file the front runs."""
    return [(*script(client, agent, file), file) for file in (*FILES, SHARED)]


def script(client: Any, agent: str, file: str) -> tuple[str, str]:
    """The swarm config holding one file of the front for this agent: (id, name), made once."""
    from docker.errors import APIError

    data = source(file).read_bytes()
    stem = file.removesuffix(".py").replace("_", "-")
    name = f"nexus-{agent}-{stem}-{hashlib.sha256(data).hexdigest()[:10]}"
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
        return script(client, agent, file)
    return str(made.id), name


def find(client: Any, agent: str, env: str) -> Any | None:
    from docker.errors import NotFound

    try:
        return client.services.get(front_name(agent, env))
    except NotFound:
        return None


def ensure(
    client: Any, agent: str, env: str, image: str, network: str, publish: str = "host"
) -> Any:
    """The environment's front, created with ``image`` (any image with python3) if missing.

    An existing front keeps its image; it is updated when its scripts, its webhook
    signing secrets or its publish mode differ from this provider's (its tasks stay
    on its volume).
    """
    service = find(client, agent, env)
    if service is not None:
        image = service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
    signing = hooks.signing_secret(client, agent)
    kwargs = front_service(agent, env, image, network, scripts(client, agent), publish, signing)
    if service is None:
        with remote("creating the front service"):
            created = client.api.create_service(**kwargs)
        return client.services.get(created["ID"])
    spec = service.attrs["Spec"]
    wanted = kwargs["task_template"]["ContainerSpec"]["Labels"][LABEL_SPEC]
    if spec_hash({"Spec": spec["TaskTemplate"]}) != wanted or _mode(spec) != publish:
        with remote("updating the front service"):
            client.api.update_service(service.id, version=service.version, **kwargs)
        service.reload()
        hooks.prune(client, agent, keep=signing[1])
    return service


def refresh(client: Any, agent: str, env: str, publish: str) -> None:
    """The environment's front brought up to date (after a webhook secret rotation)."""
    service = find(client, agent, env)
    if service is not None:
        network = service.attrs["Spec"]["TaskTemplate"]["Networks"][0]["Target"]
        ensure(client, agent, env, "", network, publish)


def _mode(spec: dict[str, Any]) -> str | None:
    ports = (spec.get("EndpointSpec") or {}).get("Ports") or [{}]
    mode = ports[0].get("PublishMode")
    return None if mode is None else str(mode)


def published(client: Any, service: Any) -> tuple[str, int] | None:
    """(node address, port) where the front answers, once its task runs."""
    if _mode(service.attrs["Spec"]) == "ingress":  # every node answers on the mesh's port
        service.reload()  # the engine assigns the port a moment after the service is made
        ports = (service.attrs.get("Endpoint") or {}).get("Ports") or []
        running = [
            t for t in tasks(client, service.id) if t.get("Status", {}).get("State") == "running"
        ]
        if not ports or not running:
            return None
        with remote("reading the swarm's nodes"):
            node = client.api.inspect_node(running[0]["NodeID"])
        return _address(node), int(ports[0]["PublishedPort"])
    for task in tasks(client, service.id):
        status = task.get("Status", {})
        ports = (status.get("PortStatus") or {}).get("Ports") or []
        if status.get("State") != "running" or not ports:
            continue
        with remote("reading the node of the front"):
            node = client.api.inspect_node(task["NodeID"])
        return _address(node), int(ports[0]["PublishedPort"])
    return None


def _address(node: dict[str, Any]) -> str:
    address = node.get("Status", {}).get("Addr") or "127.0.0.1"
    return "127.0.0.1" if address in ("0.0.0.0", "") else str(address)


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
