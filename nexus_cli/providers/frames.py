"""An agent's event stream read by a remote provider: the runtime contract's ``data:`` frames.

A replica streams ``{"text": ...}`` chunks (or any JSON), ``{"progress": N}``
reports, then ``{"done": true}`` or ``{"error": {...}}``. Providers that reach
the agent's ``/invocations`` themselves (swarm, agentcore) read it with these.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from nexus_cli.errors import from_dict


def events(lines: Iterable[str | bytes]) -> Iterator[dict[str, Any]]:
    """The stream's frames as dicts, up to ``done``; an error frame is raised."""
    for raw in lines:
        line = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        if not line.startswith("data:"):
            continue
        try:
            data = json.loads(line[5:].strip())
        except ValueError:
            data = {"text": line[5:].strip()}
        if not isinstance(data, dict):
            data = {"data": data}
        if isinstance(data.get("error"), dict):
            raise from_dict({"code": "failed", **data["error"]})
        if data.get("done") is True:
            return
        yield data
