"""The emulator's HTTP client for the control side: replica health checks and webhooks.

Calls to agents go through upstream.py (the data plane's own keep-alive client).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import aiohttp

REPLICA_SECRET_HEADER = "X-Nexus-Replica-Secret"


class Relay:
    """One aiohttp session (keep-alive per endpoint) for pings and webhook deliveries.

    aiohttp is imported after the start (``warm``): its import (two TLS contexts with the
    system's certificates) would otherwise delay every start."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        # endpoint -> the header that proves to that replica the call comes from here
        self.credentials: dict[str, dict[str, str]] = {}

    def warm(self) -> None:
        """Import aiohttp in a thread once the emulator is ready, so the first replica's
        health check does not wait for it."""
        import threading
        from importlib import import_module

        threading.Thread(target=import_module, args=("aiohttp",), daemon=True).start()

    def admit(self, endpoint: str, replica_secret: str) -> None:
        self.credentials[endpoint] = {REPLICA_SECRET_HEADER: replica_secret}

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            import aiohttp

            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, limit_per_host=64, keepalive_timeout=30),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=5),
                auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding"),
            )
        return self._session

    async def ping(
        self, endpoint: str, timeout: float = 1.0, keep: bool = True
    ) -> dict[str, Any] | None:
        """The replica's /ping answer, or None when it does not answer healthy; ``keep=False``
        closes the connection after it (an endpoint that may not be called again)."""
        answer, _ = await self.probe(endpoint, timeout, keep)
        return answer

    async def probe(
        self, endpoint: str, timeout: float = 1.0, keep: bool = True
    ) -> tuple[dict[str, Any] | None, bool]:
        """``ping``'s answer, and whether ``endpoint`` is reachable from here: False only
        when no connection could be opened for another reason than a refusal (a timeout, no
        route), the sign that a container's own address is not routed to this host."""
        session = self.session
        import aiohttp

        headers = self.credentials.get(endpoint, {})
        if not keep:
            headers = {**headers, "Connection": "close"}
        try:
            async with session.get(
                endpoint + "/ping",
                headers=headers,
                # a connection that cannot be opened in time says so (ConnectionTimeoutError)
                timeout=aiohttp.ClientTimeout(total=timeout, connect=timeout),
            ) as resp:
                if resp.status != 200:
                    return None, True
                data = await resp.json(content_type=None)
                return (data if isinstance(data, dict) else None), True
        except aiohttp.ClientConnectorError as exc:
            return None, isinstance(exc.os_error, ConnectionRefusedError)
        except aiohttp.ConnectionTimeoutError:
            return None, False
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None, True

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
