"""The replica's own credentials, handed over by the platform in a file.

``NEXUS_PLATFORM_FILE`` names a JSON object the platform writes (in memory on the
host, read-only for the replica; never in its environment, an image or a log):
``workload_token`` (a short-lived JWT of the service account
``agent:<name>:<env>``) and its ``expires_at``, ``replica_secret`` (what the
platform presents on every call to this replica) and ``platform_url``. The
platform replaces the file with a fresh token before the old one expires; the file
is read again whenever it changed, so a token is never used past its refresh.
"""

from __future__ import annotations

import json
import os
from typing import Any, Protocol


class PlatformFile:
    def __init__(self, path: str) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._data: dict[str, Any] = {}

    def data(self) -> dict[str, Any]:
        """The file's content, read again when it changed (the last good one on error)."""
        try:
            st = os.stat(self.path)
        except OSError:
            return self._data
        stamp = (st.st_mtime_ns, st.st_ino)
        if stamp != self._stamp:
            try:
                with open(self.path, encoding="utf-8") as fh:
                    data = json.load(fh)
            except (OSError, ValueError):
                return self._data
            if isinstance(data, dict):
                self._data, self._stamp = data, stamp
        return self._data

    def get(self, key: str) -> str | None:
        value = self.data().get(key)
        return value if isinstance(value, str) and value else None


_current: PlatformFile | None = None


def platform_file() -> PlatformFile | None:
    """This replica's platform file (from ``NEXUS_PLATFORM_FILE``), or None outside one."""
    global _current
    path = os.environ.get("NEXUS_PLATFORM_FILE", "")
    if _current is None or _current.path != path:
        _current = PlatformFile(path) if path else None
    return _current


def workload_token() -> str | None:
    """The replica's current workload token (a JWT), or None when not run by the platform."""
    current = platform_file()
    return current.get("workload_token") if current else None


def platform_url() -> str | None:
    """Where this replica reaches the platform's API, when it can."""
    current = platform_file()
    return current.get("platform_url") if current else None


class PlatformCallError(RuntimeError):
    """A call to the platform API refused (``status`` and ``code`` from its answer) or
    unanswered (both None)."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class PlatformError(Protocol):
    def __call__(
        self, message: str, *, status: int | None = None, code: str | None = None
    ) -> Exception: ...


def call_platform(
    method: str,
    path: str,
    body: Any,
    timeout: float,
    error: PlatformError,
    what: str,
    extra: dict[str, str] | None = None,
) -> Any:
    """One blocking JSON call to the platform API with the workload token (run it in a
    thread); a refusal or no answer raises ``error`` with the platform's message and code.
    ``what`` names the feature in the error raised outside a deployed replica; ``extra``
    adds headers."""
    base, token = platform_url(), workload_token()
    if not base or not token:
        raise error(f"no platform to ask: {what} are served to agents deployed on Nexus")
    url = base.rstrip("/") + path
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", **(extra or {})}
    if data is not None:
        headers["Content-Type"] = "application/json"
    import urllib.error  # with the first call: a replica starts without the HTTP client
    import urllib.request

    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as exc:
        try:
            problem = json.load(exc).get("error", {})
        except (ValueError, AttributeError):
            problem = {}
        raise error(
            str(problem.get("message") or f"HTTP {exc.code}"),
            status=exc.code,
            code=problem.get("code"),
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        raise error(f"the platform did not answer at {url}: {exc}") from None
