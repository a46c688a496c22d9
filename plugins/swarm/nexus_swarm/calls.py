"""Calls to a deployed agent through its front, and its replicas' logs from the service logs."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from nexus_cli.errors import NexusError, OperationFailed, Unavailable, from_dict
from nexus_cli.providers.base import LogQuery, RunResult
from nexus_cli.providers.frames import events

RUN_TIMEOUT = 900.0
LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}


def error(status: int, body: bytes, url: str) -> NexusError:
    try:
        error = json.loads(body)["error"]
        if isinstance(error, dict):
            return from_dict({"code": "failed", **error})
    except (ValueError, KeyError, TypeError):
        pass
    snippet = body.decode("utf-8", "replace").strip()[:200]
    return OperationFailed(f"the agent at {url} answered HTTP {status}: {snippet}")


def unreachable(url: str, exc: Exception) -> Unavailable:
    return Unavailable(
        f"cannot reach the agent's front at {url}: {exc}",
        hint="nexus ai agent status NAME --provider swarm  # are its replicas and front running?",
    )


def invoke(endpoint: str, input: Any, context: dict[str, Any]) -> RunResult:
    import httpx

    url = f"{endpoint}/invocations"
    try:
        answer = httpx.post(url, json={"input": input, "context": context}, timeout=RUN_TIMEOUT)
    except httpx.HTTPError as exc:
        raise unreachable(url, exc) from None
    if answer.status_code != 200:
        raise error(answer.status_code, answer.content, url)
    if answer.headers.get("content-type", "").startswith("text/event-stream"):
        chunks = [e for e in events(answer.iter_lines())]
        return RunResult(output=chunks)
    return RunResult.model_validate(answer.json())


def stream(endpoint: str, input: Any, context: dict[str, Any]) -> Iterator[dict[str, Any]]:
    import httpx

    url = f"{endpoint}/invocations"
    body = {"input": input, "context": context}
    try:
        with httpx.stream("POST", url, json=body, timeout=RUN_TIMEOUT) as answer:
            if answer.status_code != 200:
                raise error(answer.status_code, answer.read(), url)
            if not answer.headers.get("content-type", "").startswith("text/event-stream"):
                yield {"text": json.loads(answer.read()).get("output")}  # a one-shot answer
                return
            yield from events(answer.iter_lines())
    except httpx.HTTPError as exc:
        raise unreachable(url, exc) from None


# ---------------------------------------------------------------- logs


def record(raw: str, env: str) -> dict[str, Any] | None:
    """One service-log line (with timestamps and details) as a log record."""
    stamp, _, rest = raw.partition(" ")
    details, _, text = rest.partition(" ")
    task = ""
    for pair in details.split(","):
        key, _, value = pair.partition("=")
        if key == "com.docker.swarm.task.id":
            task = value[:12]
    if not text.strip():
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    rec: dict[str, Any] = parsed if isinstance(parsed, dict) else {"level": "info", "msg": text}
    with contextlib.suppress(ValueError):
        rec["time"] = datetime.fromisoformat(stamp[:26].rstrip("Z") + "+00:00").timestamp()
    rec.pop("ts", None)
    rec.setdefault("level", "info")
    rec["replica"] = task
    rec["env"] = env
    return rec


def service_records(
    client: Any, service_id: str, env: str, query: LogQuery
) -> Iterator[dict[str, Any]]:
    lowest = LEVELS.get(query.level, 10)
    kwargs: dict[str, Any] = {"follow": query.follow, "tail": query.tail}
    if query.since is not None:
        kwargs["since"] = int(query.since)
    chunks = client.api.service_logs(
        service_id, stdout=True, stderr=True, timestamps=True, details=True, **kwargs
    )
    pending = ""
    for chunk in chunks:
        pending += chunk.decode("utf-8", "replace")
        *lines, pending = pending.split("\n")
        for line in lines:
            rec = record(line, env)
            if rec is None or LEVELS.get(str(rec["level"]).lower(), 20) < lowest:
                continue
            if query.since is not None and rec.get("time", query.since) < query.since:
                continue
            yield rec


def merged(sources: list[Iterator[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    """Records of several services as they come (one reader thread each)."""
    if len(sources) == 1:
        yield from sources[0]
        return
    out: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=1000)

    def pump(source: Iterator[dict[str, Any]]) -> None:
        try:
            for rec in source:
                out.put(rec)
        finally:
            out.put(None)

    for source in sources:
        threading.Thread(target=pump, args=(source,), daemon=True).start()
    running = len(sources)
    while running:
        item = out.get()
        if item is None:
            running -= 1
        else:
            yield item
