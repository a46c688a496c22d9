"""JSON lines on stdout: one object per line, the form the platform collects."""

from __future__ import annotations

import json
import sys
import time
from typing import Any


def _timestamp(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def log(level: str, msg: str, **fields: Any) -> None:
    """Write ``{"ts", "level", "msg", ...fields}`` as one line; None fields are left out."""
    record: dict[str, Any] = {"ts": _timestamp(time.time()), "level": level, "msg": msg}
    for key, value in fields.items():
        if value is not None:
            record[key] = value
    line = json.dumps(record, ensure_ascii=False, default=str)
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except (OSError, ValueError):
        pass  # stdout closed: logging must never break a request
