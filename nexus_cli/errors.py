"""The one error tree of the CLI and its providers.

Every failure a user can hit is a :class:`NexusError` with a message, a hint
(the next thing to try) and an exit code. ``nexus_cli.output`` is the only
place that turns one into text.
"""

from __future__ import annotations

from typing import Any

# Exit codes (STYLE.md): 0 done, 1 the operation failed, 2 usage/config error
# or unsupported by this provider, 130 interrupted.
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class NexusError(Exception):
    """A failure with something the user can do about it."""

    exit_code: int = EXIT_FAILED
    code: str = "failed"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        details: list[str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details or []
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "details": self.details,
            "exit_code": self.exit_code,
        }


class UsageError(NexusError):
    """Bad input on the command line: nothing was changed."""

    exit_code = EXIT_USAGE
    code = "usage"


class ProjectError(UsageError):
    """The project file is missing or malformed."""

    code = "project"


class NotFound(NexusError):
    """An agent, version or task that does not exist."""

    exit_code = EXIT_USAGE
    code = "not_found"


class Unsupported(NexusError):
    """The chosen provider cannot do this operation."""

    exit_code = EXIT_USAGE
    code = "unsupported"


class Unavailable(NexusError):
    """A service the command needs does not answer (emulator, Docker engine)."""

    code = "unavailable"


class OperationFailed(NexusError):
    """The operation ran and failed (a build, a rollout, an invocation)."""

    code = "failed"


class Interrupted(NexusError):
    exit_code = EXIT_INTERRUPTED
    code = "interrupted"


_BY_CODE: dict[str, type[NexusError]] = {
    cls.code: cls
    for cls in (NexusError, UsageError, ProjectError, NotFound, Unsupported, Unavailable)
}
_BY_CODE["failed"] = OperationFailed


def from_dict(data: dict[str, Any]) -> NexusError:
    """Rebuild an error sent over HTTP as ``{"error": {...}}`` (see ``to_dict``)."""
    cls = _BY_CODE.get(str(data.get("code", "failed")), OperationFailed)
    return cls(
        str(data.get("message", "unknown error")),
        hint=data.get("hint"),
        details=list(data.get("details") or []),
        code=str(data.get("code", cls.code)),
    )
