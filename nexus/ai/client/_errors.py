"""Errors the client raises: one for answers the API refused, one for no answer."""

from __future__ import annotations

import json
from typing import Any

# The codes the Nexus API answers with (``APIError.code``). The SDK stands on
# its own, so it spells them here; a test checks they are those of
# ``nexus_api.errors.API_CODES``.
USAGE = "usage"
UNAUTHORIZED = "unauthorized"
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"
FAILED = "failed"
UNAVAILABLE = "unavailable"
AGENT_ERROR = "agent_error"  # the agent raised while streaming
CODES = frozenset({USAGE, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, FAILED, UNAVAILABLE, AGENT_ERROR})


class APIError(Exception):
    """The Nexus API answered with an error (``{"error": {"code", "message", "hint"}}``)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        hint: str | None = None,
        details: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint
        self.details = details or []

    def __str__(self) -> str:
        text = f"{self.message} ({self.code}, HTTP {self.status})" if self.status else self.message
        return f"{text}\nhint: {self.hint}" if self.hint else text


class APIConnectionError(APIError):
    """The Nexus API could not be reached at all."""

    def __init__(self, base_url: str, reason: str) -> None:
        super().__init__(
            0,
            UNAVAILABLE,
            f"cannot reach the Nexus API at {base_url}: {reason}",
            hint="start the local emulator, or point NEXUS_URL at a running Nexus API",
        )


def from_response(status: int, body: bytes) -> APIError:
    """Rebuild the API's error object; non-JSON bodies keep their text."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):
            return from_error_object(status, err)
        if isinstance(err, str):
            return APIError(status, _code_for(status), err)
        if "detail" in data:
            return APIError(status, _code_for(status), _detail_text(data["detail"]))
    text = body.decode("utf-8", "replace").strip()[:500] or f"HTTP {status} with an empty body"
    return APIError(status, _code_for(status), text)


def from_error_object(status: int, err: dict[str, Any]) -> APIError:
    details = err.get("details")
    return APIError(
        status,
        str(err.get("code") or _code_for(status)),
        str(err.get("message") or "the API reported an error without a message"),
        hint=str(err["hint"]) if err.get("hint") else None,
        details=[str(d) for d in details] if isinstance(details, list) else None,
    )


def _code_for(status: int) -> str:
    """The code of an error answer that did not say its own."""
    if status == 401:
        return UNAUTHORIZED
    if status == 403:
        return FORBIDDEN
    if status == 404:
        return NOT_FOUND
    if status == 503:
        return UNAVAILABLE
    if 400 <= status < 500:
        return USAGE
    return FAILED


def _detail_text(detail: Any) -> str:
    if isinstance(detail, str):
        return detail
    return json.dumps(detail)
