"""A replica's raw log lines as records (the filters are ``nexus_api.logs.Filter``).

The SDK writes every line as JSON (``{"ts", "level", "logger", "msg", ...}``,
see ``nexus.ai.agents._log``), so a record keeps the level the agent's code
gave it. Any other line (an image without the SDK, output before the SDK
started) becomes a record with the time and level of the line before it from
the same replica, so a plain traceback stays with its error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from nexus_api.logs import level_name


class Reader:
    """Turns one replica's raw lines into records, remembering the last time and level."""

    def __init__(self, replica: str, env: str | None, version: str | None) -> None:
        self.replica = replica[:12]
        self.env = env
        self.version = version
        self.ts: float | None = None
        self.level = "info"

    def record(self, line: str) -> dict[str, Any] | None:
        if not line.strip():
            return None
        data: Any = None
        if line.startswith("{"):
            try:
                data = orjson.loads(line)
            except orjson.JSONDecodeError:
                data = None
        if isinstance(data, dict) and "msg" in data:
            self.level = level_name(data.get("level"))
            self.ts = _epoch(data.get("ts")) or self.ts
            rec = {**data, "level": self.level}
        else:
            rec = {"level": self.level, "msg": line}
        rec["time"] = self.ts
        rec["replica"] = self.replica
        if self.env is not None:
            rec["env"] = self.env
        if self.version is not None:
            rec["version"] = self.version
        return rec


def _epoch(ts: Any) -> float | None:
    if not isinstance(ts, str):
        return None
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def as_text(lines: list[str]) -> list[str]:
    """Raw replica lines made readable (for a failed start's last lines)."""
    reader = Reader("", None, None)
    out: list[str] = []
    for line in lines:
        rec = reader.record(line)
        if rec is None:
            continue
        if rec["msg"] == line:  # not a JSON record: shown as written
            out.append(line)
            continue
        out.append(f"{rec['level'].upper()} {rec['msg']}")
        for key in ("error", "traceback"):
            if rec.get(key):
                out.extend(f"    {tb}" for tb in str(rec[key]).splitlines())
    return out
