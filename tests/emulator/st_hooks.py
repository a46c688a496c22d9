"""Schemathesis hooks for the API-document test (loaded through SCHEMATHESIS_HOOKS).

``POST /v1/sources`` takes a project as ``application/gzip``: a generated body is
packed as one file of a gzip-compressed tar archive, the shape the route takes.
"""

from __future__ import annotations

import io
import tarfile
from typing import Any

import schemathesis


@schemathesis.serializer("application/gzip")
def tar_gz(_ctx: Any, value: Any) -> bytes:
    data = value if isinstance(value, bytes) else str(value).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        info = tarfile.TarInfo("agent.py")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()
