"""Secrets given as references (AgentCore): ``NEXUS_SECRET_ARNS``, read at process start.

The agentcore provider never hands a runtime a secret's value: the runtime
gets ``NEXUS_SECRET_ARNS``, a JSON object of variable name -> AWS Secrets
Manager ARN, and reads each one with its own role (the standard AWS chain in
the runtime) before the agent is imported, so ``os.environ["KEY"]`` works in
``__init__`` as on the other providers. That read needs boto3 in the image
(the SDK itself stays standard library only); without it the process refuses
to start and says so, rather than run without its secrets.
"""

from __future__ import annotations

import json
import os
from typing import Any

VARIABLE = "NEXUS_SECRET_ARNS"


def load() -> str | None:
    """Each referenced secret into os.environ; a problem as one message, else None."""
    raw = os.environ.pop(VARIABLE, "")
    if not raw:
        return None
    try:
        refs = json.loads(raw)
    except ValueError:
        return f"{VARIABLE} is not JSON"
    if not isinstance(refs, dict):
        return f"{VARIABLE} is not a JSON object of NAME: ARN"
    try:
        import boto3
    except ImportError:
        return (
            f"{VARIABLE} names {len(refs)} secret(s) in AWS Secrets Manager but boto3 is not "
            "installed: add boto3 to the agent's dependencies in nexus.toml"
        )
    clients: dict[str | None, Any] = {}
    try:
        for key, arn in sorted(refs.items()):
            parts = str(arn).split(":")  # arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME
            region = parts[3] if len(parts) >= 7 and parts[3] else None
            if region not in clients:  # the secret's own region
                clients[region] = boto3.client("secretsmanager", region_name=region)
            answer = clients[region].get_secret_value(SecretId=str(arn))
            os.environ[str(key)] = str(answer["SecretString"])
    except Exception as exc:  # botocore's errors: no credentials, access denied, not found
        return f"cannot read the secrets of {VARIABLE} from AWS Secrets Manager: {exc}"
    return None
