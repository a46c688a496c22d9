"""Calls to an agent through the data plane's InvokeAgentRuntime: its answer, or its stream.

AgentCore relays the payload to the container's ``POST /invocations`` (the
runtime contract) and its answer back with the container's content type: a
JSON document, or an event stream when the agent streams. A session id (33
characters or more) picks the session's microVM; ``--session`` keeps one.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

from nexus_agentcore.aws import DATA, Aws, calling
from nexus_agentcore.runtime import Runtimes
from nexus_agentcore.views import ENVIRONMENTS
from nexus_cli.errors import NotFound, OperationFailed
from nexus_cli.providers.base import RunResult
from nexus_cli.providers.frames import events

SSE = "text/event-stream"
MIN_SESSION = 33  # AgentCore's shortest runtimeSessionId


def session_id(context: dict[str, Any]) -> str:
    """The caller's session, lengthened when too short (the same one each time), else new."""
    given = str(context.get("session_id") or "")
    if not given:
        return uuid.uuid4().hex + uuid.uuid4().hex[:8]
    return given if len(given) >= MIN_SESSION else hashlib.sha256(given.encode()).hexdigest()


def qualifier(runtimes: Runtimes, name: str, runtime_id: str, env: str | None) -> str:
    """The environment's endpoint: the one asked, else production, else the first."""
    names = sorted(e["name"] for e in runtimes.endpoints(runtime_id) if e["name"] in ENVIRONMENTS)
    if env is not None:
        if env not in names:
            raise NotFound(
                f"{name} has no {env} endpoint on AgentCore",
                hint=f"nexus ai agent deploy {name} --env {env} --provider agentcore",
            )
        return env
    if not names:
        raise NotFound(
            f"{name} has no environment endpoint on AgentCore", hint="nexus ai agent list"
        )
    return "production" if "production" in names else names[0]


def _call(
    aws: Aws, arn: str, qualifier: str, input: Any, context: dict[str, Any], accept: str
) -> tuple[str, Any]:
    """(content type, the answer's streaming body)."""
    payload = json.dumps({"input": input, "context": context}).encode()
    answer = aws.client(DATA).invoke_agent_runtime(
        agentRuntimeArn=arn,
        qualifier=qualifier,
        runtimeSessionId=session_id(context),
        contentType="application/json",
        accept=accept,
        payload=payload,
    )
    return str(answer.get("contentType") or ""), answer["response"]


def run(
    aws: Aws, name: str, arn: str, qualifier: str, input: Any, context: dict[str, Any]
) -> RunResult:
    with calling(aws, f"invoking {name}", DATA):
        kind, body = _call(aws, arn, qualifier, input, context, "application/json")
        if kind.startswith(SSE):  # an agent that streams: its chunks, in order
            return RunResult(output=list(events(body.iter_lines())))
        raw = body.read()
    try:
        return RunResult.model_validate(json.loads(raw))
    except ValueError:
        snippet = raw.decode("utf-8", "replace")[:200]
        raise OperationFailed(f"{name} answered something other than JSON: {snippet}") from None


def stream(
    aws: Aws, name: str, arn: str, qualifier: str, input: Any, context: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    with calling(aws, f"invoking {name}", DATA):
        kind, body = _call(aws, arn, qualifier, input, context, SSE)
        if not kind.startswith(SSE):  # a one-shot answer
            yield {"text": json.loads(body.read()).get("output")}
            return
        yield from events(body.iter_lines())
