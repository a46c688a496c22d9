"""HTTP for the client: one kept-alive connection, a fresh one per stream."""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from typing import Any

from nexus.ai.client._errors import APIConnectionError, from_response

_RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class Transport:
    def __init__(self, base_url: str, token: str | None, timeout: float) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()

    def _connect(self, timeout: float | None) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def _headers(self, accept: str) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": accept}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def request_json(self, method: str, path: str, body: Any = None) -> Any:
        """Send one request on the kept-alive connection; the decoded JSON answer."""
        payload = None if body is None else json.dumps(body).encode()
        headers = self._headers("application/json")
        with self._lock:
            for attempt in (1, 2):
                reused = self._conn is not None
                conn = self._conn or self._connect(self.timeout)
                try:
                    conn.request(method, self.prefix + path, body=payload, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                except _RETRYABLE as exc:
                    self._drop(conn)
                    if reused and attempt == 1:
                        continue  # the server closed an idle kept-alive connection
                    raise APIConnectionError(self.base_url, str(exc) or type(exc).__name__) from exc
                except OSError as exc:
                    self._drop(conn)
                    raise APIConnectionError(self.base_url, _reason(exc)) from exc
                if resp.will_close:
                    self._drop(conn)
                else:
                    self._conn = conn
                break
        if resp.status >= 400:
            raise from_response(resp.status, data)
        if not data:
            return None
        try:
            return json.loads(data)
        except ValueError:
            raise from_response(502, data) from None

    def open_stream(
        self, method: str, path: str, body: Any
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Start a streaming request on its own connection (no read timeout)."""
        conn = self._connect(self.timeout)
        try:
            conn.request(
                method,
                self.prefix + path,
                body=json.dumps(body).encode(),
                headers=self._headers("text/event-stream"),
            )
            resp = conn.getresponse()
        except OSError as exc:
            conn.close()
            raise APIConnectionError(self.base_url, _reason(exc)) from exc
        if resp.status >= 400:
            data = resp.read()
            conn.close()
            raise from_response(resp.status, data)
        if conn.sock is not None:
            conn.sock.settimeout(None)  # a stream may stay quiet while the agent thinks
        return conn, resp

    def _drop(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        if self._conn is conn:
            self._conn = None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__
