"""Result model of ``nexus ai provider list`` (imported only when the command runs)."""

from __future__ import annotations

from pydantic import BaseModel


class ProviderInfo(BaseModel):
    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    enabled: bool = True
    selected: bool = False
    description: str | None = None
    capabilities: list[str] | None = None  # only when loaded (--verbose / --json)
    error: str | None = None


class OptionInfo(BaseModel):
    name: str
    help: str
    variable: str  # the environment variable that sets it
    value: str | None = None  # as the selected profile or the environment sets it
    source: str | None = None  # profile NAME | NEXUS_<PROVIDER>_<KEY>


class ProviderDetail(BaseModel):
    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    enabled: bool = True
    description: str | None = None
    capabilities: dict[str, bool]  # every capability Nexus knows -> whether this provider has it
    options: list[OptionInfo]
