"""Task webhook signing on swarm: the agent's secrets, kept by the CLI, given to its fronts.

The signing secrets are the local emulator's kind (nexus.standard_webhooks):
``whsec_`` values per agent, in ``$NEXUS_HOME/swarm/webhooks/<agent>.json``
(0600) on the machine that deploys, so ``webhook-secret`` shows them without
asking the swarm (swarm secrets cannot be read back). Each front gets the live
ones (newest first, one a line) as a swarm secret; the secret's name carries
a digest of its value, so a rotation gives the fronts a new one (their tasks
stay on their volumes) and the old one is removed once no front uses it.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Any

from nexus.standard_webhooks import Secrets
from nexus_swarm.engine import LABEL_AGENT, LABEL_ROLE, labelled, remote

ROLE = "webhook"


def folder() -> Path:
    from nexus.settings import Settings

    return Settings.load().home / "swarm" / "webhooks"


def kept() -> Secrets:
    return Secrets(folder())


def signing_secret(client: Any, agent: str) -> tuple[str, str]:
    """(id, name) of the swarm secret holding the agent's live signing secrets, made once."""
    from docker.errors import APIError

    data = ("\n".join(kept().live(agent)) + "\n").encode()
    name = f"nexus-{agent[:40]}-wh-{hashlib.sha256(data).hexdigest()[:10]}"
    with remote("reading the webhook signing secret"):
        for found in client.secrets.list(filters={"name": name}):
            if found.name == name:
                return str(found.id), name
    try:
        made = client.secrets.create(
            name=name, data=data, labels={LABEL_AGENT: agent, LABEL_ROLE: ROLE}
        )
    except APIError as exc:
        if exc.status_code != 409:  # another deployer created it meanwhile
            raise
        return signing_secret(client, agent)
    return str(made.id), name


def prune(client: Any, agent: str, keep: str | None) -> None:
    """Remove the agent's signing secrets but ``keep`` (those a front still uses stay)."""
    from docker.errors import APIError

    with remote("removing old webhook signing secrets"):
        found = client.secrets.list(filters=labelled(agent=agent, role=ROLE))
    for item in found:
        if item.name != keep:
            with contextlib.suppress(APIError):  # still mounted: removed next time
                item.remove()
