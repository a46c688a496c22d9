"""The emulator's one error type: an :class:`ApiError` carries an ``ErrorCode`` and a status.

Failures from below (the platform rules' ``SpecError``, the runtime's errors)
are turned into an ``ApiError`` where they cross into the API; ``app.py``
renders it as the wire's error body (``nexus_api.errors``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from nexus.ai.spec import SpecError
from nexus_api.errors import ErrorBody, ErrorCode, error_body

__all__ = [
    "ApiError",
    "ErrorCode",
    "checked",
    "failed",
    "from_spec",
    "from_status",
    "internal",
    "not_found",
    "too_large",
    "unauthorized",
    "unavailable",
    "usage",
]

log = logging.getLogger("nexus_emulator")
_T = TypeVar("_T")


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: ErrorCode,
        message: str,
        *,
        hint: str | None = None,
        details: list[str] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint
        self.details = details or []
        self.retry_after = retry_after  # seconds, sent as Retry-After

    def body(self) -> ErrorBody:
        return error_body(self.code, self.message, self.hint, self.details)

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [] if self.retry_after is None else [(b"retry-after", b"%d" % self.retry_after)]


def usage(message: str, hint: str | None = None, details: list[str] | None = None) -> ApiError:
    return ApiError(400, ErrorCode.USAGE, message, hint=hint, details=details)


def too_large(size: int, limit: int) -> ApiError:
    """A request body over the emulator's limit (HTTP 413)."""
    return ApiError(
        413,
        ErrorCode.USAGE,
        f"the request body has {size} bytes, over the limit of {limit}",
        hint="send a smaller input (a reference to large data rather than the data), "
        "or raise NEXUS_MAX_BODY and restart the emulator",
    )


def from_spec(exc: SpecError) -> ApiError:
    return ApiError(400, ErrorCode.USAGE, exc.message, hint=exc.hint)


def checked(rule: Callable[..., _T], *args: object) -> _T:
    """Run a nexus.ai.spec rule; a SpecError becomes a 400 ``usage`` error."""
    try:
        return rule(*args)
    except SpecError as exc:
        raise from_spec(exc) from None


def not_found(message: str, hint: str | None = None) -> ApiError:
    return ApiError(404, ErrorCode.NOT_FOUND, message, hint=hint)


def failed(
    message: str, hint: str | None = None, details: list[str] | None = None, status: int = 500
) -> ApiError:
    """The operation ran and failed; ``status=502`` when a replica did not answer."""
    return ApiError(status, ErrorCode.FAILED, message, hint=hint, details=details)


def unavailable(message: str, hint: str | None = None, retry_after: int = 1) -> ApiError:
    """503 with ``Retry-After``: the caller may try again in that many seconds."""
    return ApiError(503, ErrorCode.UNAVAILABLE, message, hint=hint, retry_after=retry_after)


def unauthorized(message: str, hint: str | None = None) -> ApiError:
    return ApiError(401, ErrorCode.UNAUTHORIZED, message, hint=hint)


def from_status(status: int, message: str) -> ApiError:
    """An error for a bare HTTP status (an unknown route, a method not allowed)."""
    if status == 404:
        return not_found(message, hint="the API is described at /openapi.json and in docs/api.md")
    if status == 401:
        return unauthorized(message)
    if status == 403:
        return ApiError(403, ErrorCode.FORBIDDEN, message)
    if status == 503:
        return unavailable(message)
    if 400 <= status < 500:
        return ApiError(status, ErrorCode.USAGE, message)
    return failed(message, status=status)


def internal(exc: Exception) -> ApiError:
    """The answer to an error nothing expected (logged with its traceback)."""
    log.error("unexpected error", exc_info=exc)
    return failed(
        f"internal error: {type(exc).__name__}: {exc}",
        hint="nexus ai emulator logs  # shows the traceback",
    )
