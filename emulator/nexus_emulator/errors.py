"""The emulator's API errors: one shape on the wire, the codes of ``nexus_cli.errors``."""

from __future__ import annotations

from typing import Any

from nexus.ai.spec import SpecError


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        hint: str | None = None,
        details: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint
        self.details = details or []

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "hint": self.hint,
                "details": self.details,
            }
        }


def usage(message: str, hint: str | None = None) -> ApiError:
    return ApiError(400, "usage", message, hint=hint)


def from_spec(exc: SpecError) -> ApiError:
    return ApiError(400, "usage", exc.message, hint=exc.hint)


def not_found(message: str, hint: str | None = None) -> ApiError:
    return ApiError(404, "not_found", message, hint=hint)


def failed(message: str, hint: str | None = None, details: list[str] | None = None) -> ApiError:
    return ApiError(500, "failed", message, hint=hint, details=details)


def unavailable(message: str, hint: str | None = None) -> ApiError:
    return ApiError(503, "unavailable", message, hint=hint)
