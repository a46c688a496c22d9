"""What a log query keeps: one rule for the emulator (before the tail) and the CLI.

Records are dicts with at least ``level`` and ``msg`` (see the logs route in
docs/api.md). The CLI applies the same filter to whatever a provider returns,
so ``--grep`` or ``--request`` never pass records through unfiltered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}
_ALIASES = {"warn": "warning", "fatal": "critical", "err": "error", "trace": "debug"}


def level_name(raw: Any) -> str:
    """A record's level in the words above (``WARN`` -> ``warning``)."""
    name = str(raw or "info").lower()
    return _ALIASES.get(name, name)


@dataclass(frozen=True)
class Filter:
    level: int = 0
    since: float | None = None
    grep: str | None = None  # case-insensitive substring of the message or traceback
    request: str | None = None  # a request id, or its first characters
    replica: str | None = None  # a replica id, or its first characters (records that say)
    version: str | None = None  # a version label (records that say)

    @classmethod
    def of(cls, level: str = "debug", since: float | None = None, **narrow: Any) -> Filter:
        return cls(LEVELS.get(level.lower(), 0), since, **narrow)

    @property
    def narrows(self) -> bool:
        """Whether records must be read beyond the tail to find the kept ones."""
        return bool(self.level > LEVELS["debug"] or self.since or self.grep or self.request)

    def keep(self, rec: dict[str, Any]) -> bool:
        if LEVELS.get(level_name(rec.get("level")), 20) < self.level:
            return False
        when = rec.get("time")
        if self.since is not None and isinstance(when, int | float) and when < self.since:
            return False
        if self.request and not str(rec.get("request_id") or "").startswith(self.request):
            return False
        if self.replica and "replica" in rec and not str(rec["replica"]).startswith(self.replica):
            return False
        if self.version and "version" in rec and rec["version"] != self.version:
            return False
        if self.grep:
            text = f"{rec.get('msg', '')}\n{rec.get('traceback') or ''}\n{rec.get('error') or ''}"
            if self.grep.lower() not in text.lower():
                return False
        return True
