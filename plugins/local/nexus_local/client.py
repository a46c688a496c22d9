"""HTTP calls to the emulator API (docs/api.md), with its errors mapped to NexusError."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from nexus_api.errors import ErrorCode
from nexus_cli.errors import NexusError, OperationFailed, Unavailable, from_dict

if TYPE_CHECKING:
    import httpx

DEFAULT_TIMEOUT = 30.0


def error_of(response: httpx.Response) -> NexusError:
    """The NexusError an error answer carries (``{"error": {...}}``), or a generic one."""
    try:
        body = response.json()
        error = body["error"]
        if not isinstance(error, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        snippet = response.text.strip()[:200]
        return OperationFailed(
            f"the emulator answered HTTP {response.status_code} to "
            f"{response.request.method} {response.request.url.path}: {snippet}",
            hint="nexus ai emulator logs",
        )
    if response.status_code == 401 and not error.get("hint"):
        error = {
            **error,
            "hint": "the token in NEXUS_HOME does not match this emulator; "
            "check NEXUS_HOME and NEXUS_EMULATOR_PORT",
        }
    return from_dict(error)


def unreachable(url: str, exc: Exception) -> Unavailable:
    return Unavailable(
        f"cannot reach the local emulator at {url}: {exc}",
        hint="nexus ai emulator status  # and: nexus ai emulator logs",
    )


class EmulatorClient:
    """A small wrapper over httpx.Client: JSON in, JSON out, errors raised."""

    def __init__(self, base_url: str, token: str | None) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.base_url = base_url
        self._http = httpx.Client(
            base_url=base_url, headers=headers, timeout=httpx.Timeout(DEFAULT_TIMEOUT)
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> EmulatorClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(
        self, method: str, path: str, *, timeout: float | None = DEFAULT_TIMEOUT, **kwargs: Any
    ) -> Any:
        import httpx

        try:
            response = self._http.request(method, path, timeout=timeout, **kwargs)
        except httpx.TransportError as exc:
            raise unreachable(self.base_url, exc) from exc
        if not response.is_success:
            raise error_of(response)
        return response.json()

    @contextmanager
    def _stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        import httpx

        try:
            with self._http.stream(
                method, path, timeout=httpx.Timeout(DEFAULT_TIMEOUT, read=None), **kwargs
            ) as response:
                if not response.is_success:
                    response.read()
                    raise error_of(response)
                yield response
        except httpx.TransportError as exc:
            raise unreachable(self.base_url, exc) from exc

    def sse(self, method: str, path: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Server-sent event frames as dicts, until ``done``; an ``error`` frame raises."""
        from nexus.ai.sse import parse

        with self._stream(method, path, **kwargs) as response:
            for event in parse(line + b"\n" for line in _lines(response)):
                try:
                    data = json.loads(event.data)
                except ValueError:
                    data = {"text": event.data}
                if not isinstance(data, dict):
                    data = {"data": data}
                if isinstance(data.get("error"), dict):
                    raise from_dict({"code": ErrorCode.FAILED, **data["error"]})
                if data.get("done") is True:
                    return
                yield data

    def ndjson(
        self,
        method: str,
        path: str,
        on_open: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> Iterator[dict[str, Any]]:
        """One dict per line of an NDJSON answer, as the lines arrive.

        ``on_open`` is called once the answer's status says the stream is on.
        """
        with self._stream(method, path, **kwargs) as response:
            if on_open is not None:
                on_open()
            for line in _lines(response):
                if line.strip():
                    yield dict(json.loads(line))

    def events(
        self, method: str, path: str, progress: Callable[[str], None], **kwargs: Any
    ) -> dict[str, Any]:
        """Read an NDJSON event stream; pass progress on, return the result, raise the error."""
        with self._stream(method, path, **kwargs) as response:
            for line in response.iter_lines():
                if not line.strip():
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    raise OperationFailed(
                        f"unreadable event from the emulator: {line[:200]}",
                        hint="nexus ai emulator logs",
                    ) from None
                kind = event.get("event")
                if kind == "progress":
                    progress(str(event.get("message", "")))
                elif kind == "result":
                    return dict(event["result"])
                elif kind == "error":
                    raise from_dict(event.get("error") or {})
        raise OperationFailed(
            "the emulator closed the event stream without a result",
            hint="nexus ai emulator logs",
        )


def _lines(response: httpx.Response) -> Iterator[bytes]:
    """The raw lines of a streamed body, as they arrive."""
    pending = b""
    for chunk in response.iter_raw():
        pending += chunk
        *lines, pending = pending.split(b"\n")
        yield from lines
    if pending:
        yield pending
