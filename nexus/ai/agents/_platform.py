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
from typing import Any


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
