"""The calls each agent is serving right now, and whose they are: what binds a
replica's memory calls to the actor of the call it serves.

The invocation chain opens an entry when it relays a call to a replica (run,
stream or task; ``Chain.start``) and closes it when the call ends. An entry holds
the call's actor as the SDK computes it (``Context.user_id``: the body's
``context.user_id`` or ``X-Nexus-User-Id``, else the verified caller's subject,
else ``anonymous``) and its session. A replica's memory call names the call it
serves by ``X-Nexus-Request-Id`` (``self.memory`` sends it); the platform's memory
routes then reach that actor's sessions and ``/users/<actor>/…`` records only
(``memory/api.py``). A caller may choose a call's request id: calls of one agent in
flight under the same id bind it to their actor only when they all speak as that one
actor (else to none). Entries nobody closes are dropped, oldest first, past LIMIT.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass

LIMIT = 10_000


@dataclass(frozen=True)
class Served:
    actor: str
    session: str


def actor_of(context: dict[str, object], headers: dict[str, str]) -> str:
    """The call's actor, as the agent's SDK reads it from the same body and headers."""
    named = context.get("user_id")
    if named is not None and named != "":
        return str(named)
    if headers.get("X-Nexus-User-Id"):
        return headers["X-Nexus-User-Id"]
    try:
        subject = json.loads(headers.get("X-Nexus-Caller") or "{}").get("subject")
    except (ValueError, AttributeError):
        subject = None
    return str(subject) if subject else "anonymous"


class Serving:
    def __init__(self) -> None:
        self._calls: OrderedDict[tuple[str, str], list[Served]] = OrderedDict()

    def open(self, agent: str, request_id: str, actor: str, session: str) -> None:
        self._calls.setdefault((agent, request_id), []).append(Served(actor, session))
        while len(self._calls) > LIMIT:
            self._calls.popitem(last=False)

    def close(self, agent: str, request_id: str) -> None:
        """One call of that id ended (a second close of the same call finds none)."""
        calls = self._calls.get((agent, request_id))
        if calls:
            calls.pop()
        if not calls:
            self._calls.pop((agent, request_id), None)

    def get(self, agent: str, request_id: str | None) -> Served | None:
        """The call of ``agent`` with that request id, while it is being served."""
        calls = None if request_id is None else self._calls.get((agent, request_id))
        if not calls or any(c.actor != calls[0].actor for c in calls):
            return None
        return calls[0]
