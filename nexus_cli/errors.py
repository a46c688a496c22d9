"""The one error tree of the CLI and its providers.

Every failure a user can hit is a :class:`NexusError` with a message, a hint
(the next thing to try), an ``ErrorCode`` (``nexus_api.errors``, the codes the
API answers with and the client's own) and an exit code. ``BY_CODE`` maps a
code from the wire onto its class. ``nexus_cli.output`` is the only
place that turns one into text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from nexus_api.errors import ErrorCode

_T = TypeVar("_T")

# Exit codes (STYLE.md): 0 done, 1 the operation failed, 2 usage/config error
# or unsupported by this provider, 130 interrupted.
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class NexusError(Exception):
    """A failure with something the user can do about it."""

    exit_code: int = EXIT_FAILED
    code: ErrorCode = ErrorCode.FAILED

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        details: list[str] | None = None,
        code: ErrorCode | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details or []
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": str(self.code),
            "message": self.message,
            "hint": self.hint,
            "details": self.details,
            "exit_code": self.exit_code,
        }


class UsageError(NexusError):
    """Bad input on the command line: nothing was changed."""

    exit_code = EXIT_USAGE
    code = ErrorCode.USAGE


class ProjectError(UsageError):
    """The project file is missing or malformed."""

    code = ErrorCode.PROJECT


class NotFound(NexusError):
    """An agent, version or task that does not exist."""

    exit_code = EXIT_USAGE
    code = ErrorCode.NOT_FOUND


class Unsupported(NexusError):
    """The chosen provider cannot do this operation."""

    exit_code = EXIT_USAGE
    code = ErrorCode.UNSUPPORTED


class Unavailable(NexusError):
    """A service the command needs does not answer (emulator, Docker engine)."""

    code = ErrorCode.UNAVAILABLE


class OperationFailed(NexusError):
    """The operation ran and failed (a build, a rollout, an invocation)."""

    code = ErrorCode.FAILED


class AgentFailed(OperationFailed):
    """The agent itself raised (reported in a stream)."""

    code = ErrorCode.AGENT_ERROR


class RemoteError(OperationFailed):
    """A provider's remote platform (e.g. a swarm manager) refused the operation."""

    code = ErrorCode.REMOTE_ERROR


class Unauthorized(NexusError):
    """The API refused the credentials sent."""

    code = ErrorCode.UNAUTHORIZED


class Forbidden(NexusError):
    """The credential is valid but may not do this (its scope or agent)."""

    code = ErrorCode.FORBIDDEN


class Cancelled(NexusError):
    """The user said no at a confirmation: nothing was changed."""

    code = ErrorCode.CANCELLED


class InternalError(NexusError):
    """An unexpected exception (a bug): shown with a hint to rerun with --debug."""

    code = ErrorCode.INTERNAL


class Interrupted(NexusError):
    exit_code = EXIT_INTERRUPTED
    code = ErrorCode.INTERRUPTED


# The class of each code: the one place a code from the wire becomes a class.
BY_CODE: dict[ErrorCode, type[NexusError]] = {
    cls.code: cls
    for cls in (
        UsageError,
        ProjectError,
        NotFound,
        Unsupported,
        Unavailable,
        OperationFailed,
        AgentFailed,
        RemoteError,
        Unauthorized,
        Forbidden,
        Cancelled,
        InternalError,
        Interrupted,
    )
}


def from_dict(data: dict[str, Any]) -> NexusError:
    """Rebuild an error sent over HTTP as ``{"error": {...}}`` (see ``nexus_api.errors``)."""
    raw = str(data.get("code") or ErrorCode.FAILED)
    details = [str(d) for d in data.get("details") or []]
    try:
        code = ErrorCode(raw)
    except ValueError:  # a code this CLI does not know (a newer API)
        code = ErrorCode.FAILED
        details.append(f"error code: {raw}")
    return BY_CODE[code](
        str(data.get("message") or "unknown error"),
        hint=data.get("hint"),
        details=details,
    )


def checked(rule: Callable[..., _T], *args: object) -> _T:
    """Run a nexus.ai.spec rule; a SpecError becomes a UsageError (nothing was sent)."""
    from nexus.ai.spec import SpecError

    try:
        return rule(*args)
    except SpecError as exc:
        raise UsageError(exc.message, hint=exc.hint) from None
