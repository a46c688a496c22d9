"""HTTP calls to the emulator API (docs/api.md), with its errors mapped to NexusError.

Standard library only (``http.client``): a command makes one or two calls on
127.0.0.1, and an HTTP library would cost more to import than the calls take.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode, urlsplit

from nexus_api.errors import ErrorCode
from nexus_cli.errors import NexusError, OperationFailed, Unavailable, from_dict

DEFAULT_TIMEOUT = 30.0


class Connection(http.client.HTTPConnection):
    """An HTTP connection that resolves its host as bytes: given as a str, the host goes
    through the idna codec, whose first use costs a command ~3 ms of imports."""

    def connect(self) -> None:
        address = (self.host.encode("ascii"), self.port)
        self.sock = socket.create_connection(address, self.timeout)  # type: ignore[arg-type]
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def error_of(status: int, body: bytes, what: str) -> NexusError:
    """The NexusError an error answer carries (``{"error": {...}}``), or a generic one."""
    try:
        error = json.loads(body)["error"]
        if not isinstance(error, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        snippet = body.decode("utf-8", "replace").strip()[:200]
        return OperationFailed(
            f"the emulator answered HTTP {status} to {what}: {snippet}",
            hint="nexus ai emulator logs",
        )
    if status == 401 and not error.get("hint"):
        error = {
            **error,
            "hint": "the token in NEXUS_HOME does not match this emulator; "
            "check NEXUS_HOME and NEXUS_EMULATOR_PORT",
        }
    return from_dict(error)


def unreachable(url: str, exc: BaseException) -> Unavailable:
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return Unavailable(
        f"cannot reach the local emulator at {url}: {reason}",
        hint="nexus ai emulator status  # and: nexus ai emulator logs",
    )


def get_status(url: str, path: str, timeout: float) -> tuple[int, Any] | None:
    """``GET url+path`` without a token: (status, decoded JSON or None), None when unreachable."""
    parts = urlsplit(url)
    conn = Connection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    try:
        return response.status, json.loads(body)
    except ValueError:
        return response.status, None


class EmulatorClient:
    """JSON in, JSON out, errors raised; one kept-alive connection for plain calls."""

    def __init__(self, base_url: str, token: str | None) -> None:
        parts = urlsplit(base_url)
        self.base_url = base_url
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> EmulatorClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _send(
        self,
        conn: http.client.HTTPConnection,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        json_body: Any,
        content: bytes | None,
        headers: dict[str, str] | None,
    ) -> http.client.HTTPResponse:
        target = path + ("?" + urlencode(params) if params else "")
        sent = {**self._headers, **(headers or {})}
        body = content
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, target, body=body, headers=sent)
            return conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise unreachable(self.base_url, exc) from exc

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> Any:
        if self._conn is None:
            self._conn = Connection(self._host, self._port, timeout=timeout)
        elif self._conn.sock is not None:
            self._conn.sock.settimeout(timeout)
        else:
            self._conn.timeout = timeout
        response = self._send(self._conn, method, path, params, json, content, headers)
        try:
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise unreachable(self.base_url, exc) from exc
        if response.will_close:
            self.close()
        if response.status >= 400:
            raise error_of(response.status, body, f"{method} {path}")
        return _decode(body) if body else None

    @contextmanager
    def _stream(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> Iterator[http.client.HTTPResponse]:
        """A streamed answer on its own connection, read without a timeout."""
        conn = Connection(self._host, self._port, timeout=DEFAULT_TIMEOUT)
        try:
            conn.connect()
            if conn.sock is not None:
                conn.sock.settimeout(None)  # a stream may stay quiet while the agent thinks
            response = self._send(conn, method, path, params, json, None, None)
            if response.status >= 400:
                raise error_of(response.status, response.read(), f"{method} {path}")
            yield response
        except (OSError, http.client.HTTPException) as exc:
            raise unreachable(self.base_url, exc) from exc
        finally:
            conn.close()

    def sse(self, method: str, path: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Server-sent event frames as dicts, until ``done``; an ``error`` frame raises."""
        from nexus.ai.sse import parse

        with self._stream(method, path, **kwargs) as response:
            for event in parse(_lines(response)):
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
            for line in _lines(response):
                if not line.strip():
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    raise OperationFailed(
                        f"unreadable event from the emulator: {line[:200]!r}",
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


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise OperationFailed(
            f"the emulator answered with something that is not JSON: {body[:200]!r}",
            hint="nexus ai emulator logs",
        ) from None


def _lines(response: http.client.HTTPResponse) -> Iterator[bytes]:
    """The raw lines of a streamed body (each with its line end), as they arrive."""
    while line := response.readline():
        yield line
