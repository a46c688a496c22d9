"""A replica's processes and memory against its limits, from the Docker engine's stats.

``GET /containers/{id}/stats?stream=false&one-shot=true`` answers at once (no
second sample); its ``pids_stats`` and ``memory_stats`` are read as
``docker stats`` reads them: memory in use leaves out the page cache the kernel
can drop (``inactive_file``), so a replica that read big files is not reported
under pressure for it.
"""

from __future__ import annotations

import time
from typing import Any

from nexus_api.models import Usage

PRESSURE = 0.9  # at this share of a limit or above, the replica is reported under pressure


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def from_stats(stats: dict[str, Any], now: float | None = None) -> Usage:
    pids = stats.get("pids_stats") or {}
    memory = stats.get("memory_stats") or {}
    detail = memory.get("stats") or {}
    used = _number(memory.get("usage"))
    cache = _number(detail.get("inactive_file")) or _number(detail.get("total_inactive_file"))
    if used is not None and cache is not None and cache < used:
        used -= cache
    usage = Usage(
        pids=_number(pids.get("current")),
        pids_limit=_number(pids.get("limit")),
        memory_bytes=used,
        memory_limit_bytes=_number(memory.get("limit")),
        measured_at=time.time() if now is None else now,
    )
    for name, value, limit in (
        ("pids", usage.pids, usage.pids_limit),
        ("memory", usage.memory_bytes, usage.memory_limit_bytes),
    ):
        if value is not None and limit and value >= PRESSURE * limit:
            usage.pressure.append(name)
    return usage
