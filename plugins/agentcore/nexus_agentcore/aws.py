"""AWS clients from the standard credential chain, and AWS errors as NexusErrors.

Nexus never stores AWS credentials: boto3 finds them (environment, shared
config and credentials files, SSO, instance or container roles). Only the
region, the endpoint override (tests: moto) and the profile are options.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from nexus_cli.errors import NotFound, RemoteError, Unavailable, UsageError

CONTROL = "bedrock-agentcore-control"
DATA = "bedrock-agentcore"


class Aws:
    """One boto3 session; clients are made on first use."""

    def __init__(
        self,
        region: str | None,
        endpoint_url: str | None,
        profile: str | None,
        data_endpoint_url: str | None = None,
    ) -> None:
        import os

        import boto3

        region = region or os.environ.get("AWS_REGION") or None  # boto3 reads AWS_DEFAULT_REGION
        self.session = boto3.session.Session(profile_name=profile, region_name=region)
        self.endpoint_url = endpoint_url
        self.data_endpoint_url = data_endpoint_url or endpoint_url  # InvokeAgentRuntime's
        if not self.session.region_name:
            raise UsageError(
                "no AWS region: the agentcore provider needs one",
                hint="set NEXUS_AGENTCORE_REGION (or AWS_REGION), or a profile option region=...",
            )
        self.region: str = self.session.region_name
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            from botocore.config import Config

            config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5)
            url = self.data_endpoint_url if service == DATA else self.endpoint_url
            self._clients[service] = self.session.client(service, endpoint_url=url, config=config)
        return self._clients[service]

    def where(self, service: str = CONTROL) -> str:
        url = self.data_endpoint_url if service == DATA else self.endpoint_url
        return url or f"the AWS endpoints of {self.region}"


def _plain(message: str) -> str:
    """An error page's title instead of its HTML (a proxy or an emulator may answer so)."""
    import re

    if not message.lstrip().startswith("<"):
        return message
    title = re.search(r"<title>(.*?)</title>", message, re.S | re.I)
    text = title.group(1) if title else re.sub(r"<[^>]+>", " ", message)
    return " ".join(text.split())[:200]


@contextmanager
def calling(aws: Aws, what: str, service: str = CONTROL) -> Iterator[None]:
    """Map botocore's failures: no credentials, unreachable endpoint, an AWS error code."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
    )

    try:
        yield
    except NoCredentialsError:
        raise UsageError(
            "no AWS credentials found in the standard chain",
            hint="aws configure, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; "
            "Nexus never stores them",
        ) from None
    except NoRegionError:
        raise UsageError("no AWS region", hint="set NEXUS_AGENTCORE_REGION or AWS_REGION") from None
    except EndpointConnectionError as exc:
        raise Unavailable(
            f"{what}: cannot reach {aws.where(service)}: {exc}",
            hint="check the network, the region, and the endpoint_url option if set",
        ) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = _plain(str(error.get("Message", exc)))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        cls = NotFound if code in ("ResourceNotFoundException", "NotFoundException") else None
        text = f"{what}: AWS answered {code} (HTTP {status}): {message}"
        if cls is not None:
            raise cls(text) from None
        raise RemoteError(text) from None
    except BotoCoreError as exc:
        raise Unavailable(f"{what}: {exc}", hint=f"tried {aws.where(service)}") from None
