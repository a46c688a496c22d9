"""Error codes and the error body of the API; the standard library only.

Every Nexus error carries one :class:`ErrorCode`: on the wire in the body
``{"error": {"code", "message", "hint", "details"}}``, in the CLI as
``NexusError.code``. The emulator answers with the codes of
:data:`API_CODES`; the others are decided on the client side (the CLI and
its providers). Kept free of pydantic so the CLI can import it at start-up.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypedDict

__all__ = ["API_CODES", "ErrorBody", "ErrorCode", "ErrorObject", "error_body", "not_deployed"]


class ErrorCode(StrEnum):
    # answered by the API (see API_CODES)
    USAGE = "usage"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    FAILED = "failed"
    UNAVAILABLE = "unavailable"
    AGENT_ERROR = "agent_error"
    # decided on the client side
    PROJECT = "project"
    UNSUPPORTED = "unsupported"
    REMOTE_ERROR = "remote_error"  # a provider's remote platform refused the operation
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    INTERNAL = "internal"


# The codes the API answers with: the HTTP status and when. docs/api.md lists
# the same (a test compares them).
API_CODES: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.USAGE: (
        "400, 405, 413, 422",
        "the request is malformed or breaks a rule (name, environment, limits, body); "
        "405 for a method the path does not take; 413 for a body over the limit; 422 for an "
        "idempotency key reused with another body",
    ),
    ErrorCode.UNAUTHORIZED: (
        "401",
        "no credential, or one that is not valid (with `WWW-Authenticate`)",
    ),
    ErrorCode.FORBIDDEN: ("403", "a valid credential that may not do this (scope, agent)"),
    ErrorCode.NOT_FOUND: ("404", "no such agent, environment, version, task, trace or route"),
    ErrorCode.FAILED: (
        "500, 502",
        "the operation ran and failed (a build, a rollout, the agent); 502 when a replica "
        "did not answer",
    ),
    ErrorCode.UNAVAILABLE: (
        "503",
        "the emulator is starting, or no replica of the agent answered within the wait "
        "(with `Retry-After`)",
    ),
    ErrorCode.AGENT_ERROR: (
        "in a stream",
        "the agent raised while streaming: the last `data:` frame of "
        "`/agents/{name}/stream`, with the exception's `type`",
    ),
}


class ErrorObject(TypedDict):
    code: str
    message: str
    hint: str | None
    details: list[str]


class ErrorBody(TypedDict):
    error: ErrorObject


def error_body(
    code: ErrorCode, message: str, hint: str | None = None, details: list[str] | None = None
) -> ErrorBody:
    """The one shape of an error on the wire."""
    return {
        "error": {"code": str(code), "message": message, "hint": hint, "details": details or []}
    }


def not_deployed(agent: str, env: str, deployed: list[str]) -> tuple[str, str]:
    """The message and hint of a call naming an environment the agent is not deployed to
    (code ``not_found``): the same words from every command and route."""
    where = ", ".join(sorted(deployed)) or "nothing"
    return (
        f"{agent} is not deployed to {env}",
        f"deployed to: {where}; deploy there with: nexus ai agent deploy {agent} --env {env}",
    )
