"""Results of the emulator lifecycle commands (``nexus ai emulator ...``)."""

from __future__ import annotations

from pydantic import BaseModel


class EmulatorStatus(BaseModel):
    running: bool
    ready: bool = False
    home: str
    port: int
    pid: int | None = None
    url: str | None = None
    runtime: str | None = None  # docker | process
    isolation: str | None = None
    version: str | None = None
    started_at: float | None = None
    log: str
    started: bool = False  # this command started it


class StopResult(BaseModel):
    stopped: bool  # an emulator was running and is now stopped
    pid: int | None = None
    port: int | None = None
    killed: bool = False  # it ignored SIGTERM and was killed


class ResetResult(BaseModel):
    home: str
    replicas_removed: bool  # the emulator answered /v1/admin/reset
    removed: list[str]  # entries deleted from the home directory
