"""``logs --follow`` that survives a lost connection: reconnect, no duplicates, no gaps.

While a stream is open the newest record time seen is kept. When the stream
ends or breaks, the reader reconnects asking for the records since that time
minus a small margin (inclusive, with a large tail) and drops the ones it already printed, known by
replica, time, logger, request and message. The first connection failing is an
error as usual; later ones are retried every ``RETRY`` seconds, with one notice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from nexus_cli.errors import Unavailable

RETRY = 1.0
RESUME_TAIL = 10_000  # the API's largest tail: what a gap may hold per replica
MAX_KEYS = 100_000
MARGIN = 2.0  # seconds: records of a slower replica may arrive after newer ones

Opener = Callable[[dict[str, Any], Callable[[], None]], Iterator[dict[str, Any]]]


def _key(rec: dict[str, Any]) -> tuple[Any, ...]:
    return (
        rec.get("replica"),
        rec.get("ts"),
        rec.get("time"),
        rec.get("logger"),
        rec.get("request_id"),
        rec.get("msg"),
    )


def follow(
    open_stream: Opener,
    params: dict[str, Any],
    notice: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[dict[str, Any]]:
    """Records from ``open_stream(params, on_open)``, reopened until the reader stops."""
    seen: set[tuple[Any, ...]] = set()
    newest: float | None = None
    ever_opened = False
    told = False
    while True:
        opened = False

        def on_open() -> None:
            nonlocal opened
            opened = True

        query = dict(params)
        if ever_opened:
            query["tail"] = RESUME_TAIL
            if newest is not None:
                query["since"] = newest - MARGIN
        try:
            for rec in open_stream(query, on_open):
                key = _key(rec)
                if key in seen:
                    continue
                when = rec.get("time")
                if isinstance(when, int | float) and (newest is None or when > newest):
                    newest = float(when)
                    floor = newest - MARGIN
                    seen = {k for k in seen if k[2] is None or k[2] >= floor}
                if len(seen) < MAX_KEYS:
                    seen.add(key)
                yield rec
        except Unavailable:
            if not (ever_opened or opened):
                raise
        ever_opened = ever_opened or opened
        if not told:
            notice("the log stream ended; reconnecting (Ctrl-C stops)")
            told = True
        sleep(RETRY)
