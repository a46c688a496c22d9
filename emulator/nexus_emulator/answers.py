"""A replica's answer read into one shape, whether it came as JSON or as server-sent events.

A replica answers ``{"output": ..., "metadata": {...}}`` as JSON, or streams
``data: <json>`` frames (``{"text": ...}`` chunks, ``{"progress": N}`` reports,
then ``{"done": true}`` or ``{"error": {...}}``). ``decode`` turns either into
``{"output": ...}`` (with the replica's ``metadata`` when it sent one) or
``{"error": {...}}``; an image that answers its own JSON is taken whole.
"""

from __future__ import annotations

from typing import Any

import orjson

SSE = "text/event-stream"


def frame(data: Any) -> bytes:
    return b"data: " + orjson.dumps(data) + b"\n\n"


DONE = b'data: {"done": true}\n\n'


class SseDecoder:
    """Frames out of an event stream fed in arbitrary chunks."""

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, chunk: bytes) -> list[Any]:
        lines = (self._rest + chunk).split(b"\n")
        self._rest = lines.pop()
        return [_data(line) for line in lines if line.startswith(b"data:")]

    def end(self) -> list[Any]:
        rest, self._rest = self._rest, b""
        return [_data(rest)] if rest.startswith(b"data:") else []


def _data(line: bytes) -> Any:
    try:
        return orjson.loads(line[5:])
    except orjson.JSONDecodeError:
        return {"text": line[5:].decode("utf-8", "replace").strip()}


def is_error(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("error"), dict)


def progress(data: Any) -> int | None:
    """The percentage of a ``{"progress": N}`` report, else None."""
    if isinstance(data, dict) and isinstance(data.get("progress"), int | float):
        return max(0, min(100, int(data["progress"])))
    return None


def fold(frames: list[Any]) -> dict[str, Any]:
    """A streamed answer as one: text chunks joined, other chunks as a list."""
    chunks: list[Any] = []
    for data in frames:
        if isinstance(data, dict) and data.get("done") is True:
            break
        if is_error(data):
            return {"error": data["error"]}
        if isinstance(data, dict) and set(data) == {"progress"}:
            continue  # a progress report, not part of the answer
        chunks.append(data)
    texts = [c.get("text") for c in chunks if isinstance(c, dict)]
    if len(texts) == len(chunks) and all(isinstance(t, str) for t in texts):
        return {"output": "".join(t for t in texts if isinstance(t, str))}
    return {"output": chunks}


def decode(content_type: str, body: bytes) -> Any:
    """The answer of a replica: JSON as sent, an event stream folded, other text as output."""
    if SSE in content_type:
        decoder = SseDecoder()
        return fold(decoder.feed(body) + decoder.end())
    try:
        return orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        return {"output": body.decode("utf-8", "replace")}


def output_and_metadata(answer: Any) -> tuple[Any, dict[str, Any]]:
    if isinstance(answer, dict) and "output" in answer:
        meta = answer.get("metadata")
        return answer["output"], meta if isinstance(meta, dict) else {}
    return answer, {}  # an image that answers with its own JSON (bring your own image)


def tokens_used(metadata: dict[str, Any]) -> int:
    """LLM tokens the call consumed, as the replica reported them (the one place to read it)."""
    tokens = metadata.get("tokens_used")
    return tokens if isinstance(tokens, int) and tokens > 0 else 0
