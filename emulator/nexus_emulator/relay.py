"""The data plane's upstream client: calls a replica's runtime contract over keep-alive HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

REPLICA_SECRET_HEADER = "X-Nexus-Replica-Secret"


@dataclass(frozen=True)
class Upstream:
    status: int
    body: bytes
    content_type: str


class Relay:
    """One connection pool for every replica (keep-alive per endpoint)."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        # endpoint -> the header that proves to that replica the call comes from here
        self.credentials: dict[str, dict[str, str]] = {}

    def admit(self, endpoint: str, replica_secret: str) -> None:
        self.credentials[endpoint] = {REPLICA_SECRET_HEADER: replica_secret}

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, limit_per_host=64, keepalive_timeout=30),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=5),
                auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding"),
            )
        return self._session

    async def invoke(
        self, endpoint: str, body: bytes, headers: Mapping[str, str], timeout: float = 900
    ) -> Upstream:
        async with self.session.post(
            endpoint + "/invocations",
            data=body,
            headers={
                "Content-Type": "application/json",
                **headers,
                **self.credentials.get(endpoint, {}),
            },
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as resp:
            return Upstream(resp.status, await resp.read(), resp.headers.get("Content-Type", ""))

    @asynccontextmanager
    async def open_stream(
        self, endpoint: str, body: bytes, headers: Mapping[str, str]
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """The replica's response to a streaming call, open while the caller reads it."""
        async with self.session.post(
            endpoint + "/invocations",
            data=body,
            headers={
                "Content-Type": "application/json",
                "Accept": "text/event-stream, application/json",
                **headers,
                **self.credentials.get(endpoint, {}),
            },
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=900),
        ) as resp:
            yield resp

    async def ping(self, endpoint: str, timeout: float = 1.0) -> dict[str, Any] | None:
        """The replica's /ping answer, or None when it does not answer healthy."""
        try:
            async with self.session.get(
                endpoint + "/ping",
                headers=self.credentials.get(endpoint, {}),
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as resp:
                if resp.status != 200:
                    return None
                data = await resp.json(content_type=None)
                return data if isinstance(data, dict) else None
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def collect_stream(body: bytes) -> dict[str, Any]:
    """A streamed answer as one: text chunks joined, other chunks as a list."""
    chunks: list[Any] = []
    for line in body.splitlines():
        if not line.startswith(b"data:"):
            continue
        try:
            data = orjson.loads(line[5:])
        except orjson.JSONDecodeError:
            data = {"text": line[5:].decode("utf-8", "replace").strip()}
        if isinstance(data, dict) and data.get("done") is True:
            break
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            return {"error": data["error"]}
        if isinstance(data, dict) and set(data) == {"progress"}:
            continue  # a progress report, not part of the answer
        chunks.append(data)
    texts = [c.get("text") for c in chunks if isinstance(c, dict)]
    if len(texts) == len(chunks) and all(isinstance(t, str) for t in texts):
        return {"output": "".join(t for t in texts if isinstance(t, str))}
    return {"output": chunks}
