"""Calls to Amazon Bedrock's Converse API (botocore's ``bedrock-runtime``) for a routed model.

The agent's OpenAI-shaped call becomes ``converse`` / ``converse_stream`` arguments
(``convert.py``); the answer comes back as an OpenAI chat completion, the stream's
events (``messageStart`` … ``metadata``) as OpenAI chunks, tokens from Bedrock's own
``usage``. The key is the calling agent's credential from the vault,
``ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]`` (none: botocore's own chain);
the region is the route's (default ``us-east-1``), the endpoint its ``url`` when
given. botocore is synchronous: calls and stream reads run in worker threads, one
client per region, endpoint and key, with no retries of its own (a throttled call
comes back at once as a 429, so the fallback can answer). Errors: Bedrock's codes
by their HTTP status, as for any upstream (``upstream.refused``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

from nexus_api.gateway import ModelRoute
from nexus_emulator.gateway import convert
from nexus_emulator.gateway.errors import GatewayError
from nexus_emulator.gateway.upstream import Used, counted, refused, timed_out, unreachable

REGION = "us-east-1"
THROTTLED = {"ThrottlingException", "ServiceQuotaExceededException", "ModelNotReadyException"}


class BedrockUpstream:
    def __init__(self) -> None:
        self._clients: dict[tuple[str, str | None, str | None, float], Any] = {}

    async def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def _client(self, route: ModelRoute, key: str | None) -> Any:
        region = route.region or REGION
        wanted = (region, route.url, key, route.timeout)
        client = self._clients.get(wanted)
        if client is None:
            try:
                import botocore.session
                from botocore.config import Config
            except ImportError:
                raise GatewayError(
                    502,
                    "upstream",
                    f"{route.name} is a Bedrock model and botocore is not installed: "
                    "pip install 'nexus-agents[bedrock]'",
                ) from None
            parts = key.split(":", 2) if key else []
            if key and len(parts) < 2:
                raise GatewayError(
                    502,
                    "upstream",
                    f"{route.name}: the credential {route.credential!r} must be "
                    "ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]",
                )
            config = Config(
                connect_timeout=route.timeout,
                read_timeout=route.timeout,
                retries={"total_max_attempts": 1},
            )
            client = botocore.session.get_session().create_client(
                "bedrock-runtime",
                region_name=region,
                endpoint_url=route.url,
                aws_access_key_id=parts[0] if parts else None,
                aws_secret_access_key=parts[1] if parts else None,
                aws_session_token=parts[2] if len(parts) > 2 else None,
                config=config,
            )
            self._clients[wanted] = client
        return client

    def _call(self, route: ModelRoute, key: str | None, operation: str, kwargs: Any) -> Any:
        """One botocore call (in a worker thread), its failures as gateway errors."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            NoCredentialsError,
            ReadTimeoutError,
        )

        try:
            return getattr(self._client(route, key), operation)(**kwargs)
        except ClientError as exc:
            raise _failed(route, exc.response) from None
        except (ReadTimeoutError, ConnectTimeoutError):
            raise timed_out(route) from None
        except NoCredentialsError:
            raise GatewayError(
                502,
                "upstream",
                f"{route.name}: no AWS credentials; name the agent's credential in the route "
                "(--credential) and set it: nexus ai agent credential set AGENT NAME --api-key -",
            ) from None
        except BotoCoreError as exc:
            raise unreachable(route, exc) from None

    async def chat(
        self, route: ModelRoute, body: dict[str, Any], key: str | None
    ) -> tuple[dict[str, Any], Used]:
        wanted = convert.converse_request(body, route.upstream_model)
        answer = await asyncio.to_thread(self._call, route, key, "converse", wanted)
        completion, tokens_in, tokens_out = convert.from_converse(answer, route.name)
        return completion, Used(tokens_in, tokens_out)

    async def embed(
        self, route: ModelRoute, texts: list[str], dims: int | None, key: str | None
    ) -> tuple[list[list[float]], int]:
        """Titan-style embeddings (``InvokeModel`` with ``inputText``), one call per text:
        the vectors and the tokens Bedrock counted (``inputTextTokenCount``)."""
        vectors, used = [], 0
        for text in texts:
            doc = {"inputText": text, **({"dimensions": dims} if dims else {})}
            wanted = {"modelId": route.upstream_model, "body": json.dumps(doc),
                      "contentType": "application/json", "accept": "application/json"}  # fmt: skip
            answer = await asyncio.to_thread(self._call, route, key, "invoke_model", wanted)
            try:
                got = json.loads(await asyncio.to_thread(answer["body"].read))
                vectors.append([float(x) for x in got["embedding"]])
            except (KeyError, TypeError, ValueError):
                raise GatewayError(
                    502, "upstream", f"{route.name}: Bedrock answered no embedding"
                ) from None
            used += int(got.get("inputTextTokenCount", 0))
        return vectors, used

    async def stream(
        self, route: ModelRoute, body: dict[str, Any], key: str | None, used: Used
    ) -> AsyncIterator[bytes]:
        wanted = convert.converse_request(body, route.upstream_model)
        answer = await asyncio.to_thread(self._call, route, key, "converse_stream", wanted)
        return self._relay(route, iter(answer["stream"]), body, used)

    async def _relay(
        self, route: ModelRoute, events: Iterator[dict[str, Any]], body: dict[str, Any], used: Used
    ) -> AsyncIterator[bytes]:
        from botocore.exceptions import BotoCoreError, ClientError

        chunks, found = convert.Chunks(route.name), False
        yield chunks.start()
        try:
            while (event := await asyncio.to_thread(next, events, None)) is not None:
                if "contentBlockStart" in event:
                    start = event["contentBlockStart"]
                    use = (start.get("start") or {}).get("toolUse")
                    if use:
                        index = int(start.get("contentBlockIndex", 0))
                        yield chunks.tool_start(index, str(use["toolUseId"]), str(use["name"]))
                elif "contentBlockDelta" in event:
                    block = event["contentBlockDelta"]
                    delta = block.get("delta") or {}
                    if "text" in delta:
                        yield chunks.content(str(delta["text"]))
                    elif "toolUse" in delta:
                        index = int(block.get("contentBlockIndex", 0))
                        yield chunks.tool_arguments(index, str(delta["toolUse"].get("input", "")))
                elif "messageStop" in event:
                    yield chunks.finish(event["messageStop"].get("stopReason"))
                elif "metadata" in event:
                    usage = event["metadata"].get("usage") or {}
                    used.tokens_in = int(usage.get("inputTokens", 0))
                    used.tokens_out = int(usage.get("outputTokens", 0))
                    found = True
                    yield chunks.usage(used.tokens_in, used.tokens_out)
            yield chunks.DONE
        except (ClientError, BotoCoreError) as exc:
            yield chunks.failure(f"{route.name}: the upstream stopped: {exc}")
        finally:
            if not found:
                fill = counted(body, "".join(chunks.text))
                used.tokens_in, used.tokens_out = fill.tokens_in, fill.tokens_out


def _failed(route: ModelRoute, response: dict[str, Any]) -> GatewayError:
    error = response.get("Error") or {}
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    meta = response.get("ResponseMetadata") or {}
    status = int(meta.get("HTTPStatusCode") or 500)
    if code in THROTTLED:
        status = 429
    elif code == "ModelTimeoutException":
        status = 408
    retry = (meta.get("HTTPHeaders") or {}).get("retry-after")
    return refused(route, status, f"{code}: {message}" if code else message, retry)
