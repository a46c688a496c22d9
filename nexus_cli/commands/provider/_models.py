"""Result model of ``nexus ai provider list`` (imported only when the command runs)."""

from __future__ import annotations

from pydantic import BaseModel


class ProviderInfo(BaseModel):
    name: str
    module: str
    distribution: str | None = None
    enabled: bool = True
    selected: bool = False
    description: str | None = None
    capabilities: list[str] | None = None  # only when loaded (--verbose / --json)
    error: str | None = None
