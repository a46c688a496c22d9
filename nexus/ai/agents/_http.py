"""A small HTTP/1.1 reader and writer over asyncio streams (keep-alive, chunked)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

REASONS = {
    100: "Continue",
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    505: "HTTP Version Not Supported",
}


class HTTPError(Exception):
    """A request the server answers with an error and then closes the connection."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Request:
    method: str
    path: str
    query: str
    version: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


async def read_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, max_body: int
) -> Request | None:
    """Read one request; None when the peer closed the connection between requests."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise HTTPError(400, "bad_request", "incomplete request head") from None
    except asyncio.LimitOverrunError:
        raise HTTPError(431, "headers_too_large", "request head is too large") from None
    lines = head[:-4].decode("latin-1").split("\r\n")
    while lines and not lines[0]:
        lines.pop(0)  # tolerate stray CRLF between requests
    parts = lines[0].split(" ") if lines else []
    if len(parts) != 3:
        raise HTTPError(400, "bad_request", "malformed request line")
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise HTTPError(505, "bad_request", f"unsupported HTTP version {version!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise HTTPError(400, "bad_request", "malformed header line")
        key = name.strip().lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    path, _, query = target.partition("?")
    conn = headers.get("connection", "").lower()
    keep_alive = "close" not in conn if version == "HTTP/1.1" else "keep-alive" in conn
    body = await _read_body(reader, writer, headers, max_body)
    return Request(method, path, query, version, headers, body, keep_alive)


async def _read_body(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    headers: dict[str, str],
    max_body: int,
) -> bytes:
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    length_text = headers.get("content-length")
    if not chunked and not length_text:
        return b""
    length = 0
    if not chunked:
        try:
            length = int(length_text or "")
        except ValueError:
            raise HTTPError(400, "bad_request", "invalid Content-Length") from None
        if length < 0:
            raise HTTPError(400, "bad_request", "invalid Content-Length")
        if length > max_body:
            raise _too_large(max_body)
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    try:
        if not chunked:
            return await reader.readexactly(length)
        return await _read_chunked(reader, max_body)
    except asyncio.IncompleteReadError:
        raise HTTPError(400, "bad_request", "the body ended early") from None


async def _read_chunked(reader: asyncio.StreamReader, max_body: int) -> bytes:
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise HTTPError(400, "bad_request", "malformed chunk size") from None
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass  # trailers
            return bytes(body)
        if len(body) + size > max_body:
            raise _too_large(max_body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)


def _too_large(max_body: int) -> HTTPError:
    return HTTPError(413, "payload_too_large", f"request body is larger than {max_body} bytes")


def head(
    status: int,
    content_type: str,
    *,
    length: int | None = None,
    chunked: bool = False,
    keep_alive: bool,
    extra: tuple[tuple[str, str], ...] = (),
) -> bytes:
    """Status line and headers. Without ``length`` and ``chunked`` the body ends at close."""
    lines = [
        f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}",
        f"Content-Type: {content_type}",
    ]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    elif length is not None:
        lines.append(f"Content-Length: {length}")
    if not keep_alive:
        lines.append("Connection: close")
    lines.extend(f"{k}: {v}" for k, v in extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"
