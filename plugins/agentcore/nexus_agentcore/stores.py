"""Secrets in AWS Secrets Manager and logs from CloudWatch Logs, for one agent.

A secret is ``nexus/<agent>/<scope>/<KEY>`` (scope: an environment or
``all``). The runtime never gets a value: it gets ``NEXUS_SECRET_ARNS``, a
JSON object of variable name -> secret ARN, read with its execution role.
Rotating a value keeps the ARN, so it needs no new runtime version; a new
key reaches the runtime with the next deploy.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

from nexus_agentcore.aws import Aws, calling
from nexus_cli.errors import NexusError
from nexus_cli.providers.base import LogQuery, Secret

ALL = "*"
DIGEST_TAG = "nexus:digest"
LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}


def secret_name(agent: str, scope: str, key: str) -> str:
    return f"nexus/{agent}/{'all' if scope == ALL else scope}/{key}"


def put_secret(aws: Aws, agent: str, key: str, value: str, scope: str) -> str:
    """Store the value; return its digest (the value is never shown again)."""
    client = aws.client("secretsmanager")
    digest = "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:12]
    name = secret_name(agent, scope, key)
    tags = [{"Key": DIGEST_TAG, "Value": digest}]
    with calling(aws, f"storing the secret {key}"):
        try:
            client.create_secret(Name=name, SecretString=value, Tags=tags)
        except client.exceptions.ResourceExistsException:
            client.put_secret_value(SecretId=name, SecretString=value)
            client.tag_resource(SecretId=name, Tags=tags)
    return digest


def secrets(aws: Aws, agent: str) -> list[tuple[Secret, str]]:
    """(secret, ARN) of every key of ``agent``."""
    client = aws.client("secretsmanager")
    prefix = f"nexus/{agent}/"
    out = []
    with calling(aws, "listing secrets"):
        pages = client.get_paginator("list_secrets").paginate(
            Filters=[{"Key": "name", "Values": [prefix]}]
        )
        for page in pages:
            for item in page.get("SecretList", []):
                name = str(item["Name"])
                if not name.startswith(prefix) or name.count("/") != 3:
                    continue
                _, _, scope, key = name.split("/")
                tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
                changed = item.get("LastChangedDate") or item.get("CreatedDate")
                secret = Secret(
                    name=key,
                    scope=ALL if scope == "all" else scope,
                    digest=tags.get(DIGEST_TAG, ""),
                    updated_at=changed.timestamp() if changed else None,
                )
                out.append((secret, str(item["ARN"])))
    return sorted(out, key=lambda pair: (pair[0].name, pair[0].scope))


def references(aws: Aws, agent: str, env: str) -> dict[str, str]:
    """Variable name -> ARN for an environment: its own keys over the ``all`` ones."""
    chosen: dict[str, tuple[str, str]] = {}
    for secret, arn in secrets(aws, agent):
        if secret.scope == env or (secret.scope == ALL and secret.name not in chosen):
            chosen[secret.name] = (secret.scope, arn)
    return {key: arn for key, (_scope, arn) in chosen.items()}


def delete_secret(aws: Aws, agent: str, key: str, scope: str) -> bool:
    client = aws.client("secretsmanager")
    try:
        with calling(aws, f"deleting the secret {key}"):
            client.delete_secret(
                SecretId=secret_name(agent, scope, key), ForceDeleteWithoutRecovery=True
            )
    except NexusError as exc:
        if exc.code == "not_found":
            return False
        raise
    return True


# ---------------------------------------------------------------- logs


def log_group(runtime_id: str, endpoint: str) -> str:
    return f"/aws/bedrock-agentcore/runtimes/{runtime_id}-{endpoint}"


def _record(event: dict[str, Any], env: str) -> dict[str, Any]:
    text = str(event.get("message", "")).rstrip("\n")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    rec: dict[str, Any] = parsed if isinstance(parsed, dict) else {"msg": text}
    rec.pop("ts", None)
    rec.setdefault("level", "info")
    rec["time"] = int(event.get("timestamp", 0)) / 1000
    rec["replica"] = str(event.get("logStreamName", ""))[-12:]
    rec["env"] = env
    return rec


def log_records(aws: Aws, group: str, env: str, query: LogQuery) -> Iterator[dict[str, Any]]:
    """Records of one log group, oldest first; with ``follow``, new ones every second."""
    client = aws.client("logs")
    lowest = LEVELS.get(query.level, 10)
    start = int(query.since * 1000) if query.since is not None else 0
    seen: set[str] = set()
    first = True
    while True:
        events: list[dict[str, Any]] = []
        try:
            with calling(aws, f"reading {group}"):
                pages = client.get_paginator("filter_log_events").paginate(
                    logGroupName=group, startTime=start
                )
                for page in pages:
                    events.extend(page.get("events", []))
        except NexusError as exc:
            if exc.code != "not_found":
                raise
        fresh = [e for e in events if e.get("eventId") not in seen]
        fresh.sort(key=lambda e: int(e.get("timestamp", 0)))
        if first and query.tail:
            fresh = fresh[-query.tail :]
        for event in fresh:
            seen.add(str(event.get("eventId")))
            start = max(start, int(event.get("timestamp", 0)))
            rec = _record(event, env)
            if LEVELS.get(str(rec["level"]).lower(), 20) >= lowest:
                yield rec
        if not query.follow:
            return
        first = False
        time.sleep(1.0)
