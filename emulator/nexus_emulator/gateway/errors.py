"""The gateway's one error: each wire shape renders it in its own error shape."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class GatewayError(Exception):
    """``kind``: bad_request | not_found | rate_limited | quota_exceeded | context | upstream."""

    status: int
    kind: str
    message: str
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
