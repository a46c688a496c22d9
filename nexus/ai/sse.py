"""Server-sent events: turn a byte stream of ``data:`` frames into events.

Public: the SDK's client reads agent streams with it, and so does any other
client of the Nexus API (the local provider does).
"""

from __future__ import annotations

__all__ = ["Event", "parse"]

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass
class Event:
    data: str
    event: str | None = None
    id: str | None = None


def parse(lines: Iterable[bytes]) -> Iterator[Event]:
    """Events from raw lines (each ending in LF, CRLF or CR); blank lines end an event."""
    data: list[str] = []
    event: str | None = None
    last_id: str | None = None
    for raw in lines:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        for part in line.split("\r"):  # CR alone also ends a line
            if part == "":
                if data:
                    yield Event("\n".join(data), event, last_id)
                data, event = [], None
                continue
            if part.startswith(":"):
                continue
            name, sep, value = part.partition(":")
            if sep and value.startswith(" "):
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value or None
            elif name == "id" and "\0" not in value:
                last_id = value
    # An event cut off before its blank line is incomplete and is dropped.
