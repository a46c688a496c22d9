"""What memory accepts: names, namespaces, sizes. Each refusal is an ``ApiError``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nexus_emulator import errors
from nexus_emulator.errors import ApiError, ErrorCode

MAX_TEXT = 64 * 1024  # bytes of one event's text, payload or one record's text
MAX_EVENTS = 100  # events in one append
MAX_TOP_K = 100
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:+-]{0,127}$")
SEGMENT = re.compile(r"^[A-Za-z0-9._@:+{}-]{1,128}$")
ROLES = {"user", "assistant", "system", "tool"}


def name(kind: str, value: str) -> str:
    """An actor or session id: 1-128 of letters, digits and ``. _ @ : + -``."""
    if not NAME.match(value):
        raise errors.usage(
            f"bad {kind} id {value!r}",
            hint=f"a {kind} id is 1-128 letters, digits or . _ @ : + - (starting with one "
            "letter or digit)",
        )
    return value


def size(what: str, text: str) -> None:
    n = len(text.encode())
    if n > MAX_TEXT:
        raise ApiError(
            413,
            ErrorCode.USAGE,
            f"{what} has {n} bytes, over the memory limit of {MAX_TEXT}",
            hint="store a summary or a reference to the data, not the data",
        )


def namespace(agent: str, value: str, actor: str | None) -> str:
    """A namespace path (``/users/ann/preferences``) the caller may use.

    ``/agents/NAME/…`` is only the agent's own; with an actor given,
    ``/users/ACTOR/…`` is only that actor's."""
    parts = value.split("/")
    if not value.startswith("/") or value == "/" or not all(SEGMENT.match(p) for p in parts[1:]):
        raise errors.usage(
            f"bad namespace {value!r}",
            hint="a namespace is a path of names, e.g. /users/ann/preferences",
        )
    if len(parts) > 2 and parts[1] == "agents" and parts[2] != agent:
        raise forbidden(f"the namespace {value} belongs to agent {parts[2]}, not {agent}")
    if actor is not None and len(parts) > 2 and parts[1] == "users" and parts[2] != actor:
        raise forbidden(f"the namespace {value} belongs to actor {parts[2]}, not {actor}")
    return value


def forbidden(message: str) -> ApiError:
    return ApiError(
        403,
        ErrorCode.FORBIDDEN,
        message,
        hint="an agent reaches /agents/<itself>/… and, for an actor, /users/<that actor>/…",
    )


def top_k(value: int) -> int:
    if not 1 <= value <= MAX_TOP_K:
        raise errors.usage(f"top_k must be between 1 and {MAX_TOP_K}, not {value}")
    return value


@dataclass(frozen=True)
class Reach:
    """Whose memory a call reaches within its agent's: every actor's (the control plane's
    admin), or one actor's (a workload token serving that actor's call: its sessions and
    ``/users/<actor>/…``; ``actor`` None outside any call: no actor's). Namespaces
    outside ``/users/`` are the agent's own and reached either way."""

    everyone: bool = True
    actor: str | None = None

    def speaks_as(self, actor: str) -> str:
        """``actor``, when the call may reach that actor's memory (else 403)."""
        if not self.everyone and actor != self.actor:
            raise bound_to(self.actor, f"the memory of actor {actor!r}")
        return actor

    def sees(self, namespace: str) -> bool:
        if self.everyone or not namespace.startswith("/users/"):
            return True
        own = f"/users/{self.actor}"
        return self.actor is not None and (namespace == own or namespace.startswith(own + "/"))

    def sql(self, column: str) -> tuple[str, list[Any]]:
        """The SQL (and its args) keeping the namespaces in ``column`` this call sees."""
        if self.everyone:
            return "", []
        if self.actor is None:
            return f" AND substr({column}, 1, 7) != '/users/'", []
        own = f"/users/{self.actor}"
        other = f"substr({column}, 1, 7) != '/users/'"
        return f" AND ({other} OR {column} = ? OR substr({column}, 1, ?) = ?)", [
            own,
            len(own) + 1,
            own + "/",
        ]


EVERYONE = Reach()


def bound_to(actor: str | None, what: str) -> ApiError:
    serving = f"the call it serves speaks as {actor!r}" if actor else "it serves no call now"
    return ApiError(
        403,
        ErrorCode.FORBIDDEN,
        f"a workload token reaches {what} only while serving that actor's call: {serving}",
        hint="call memory while handling a request (self.memory sends its X-Nexus-Request-Id); "
        "an agent's own namespaces (outside /users/) are reached at any time",
    )
