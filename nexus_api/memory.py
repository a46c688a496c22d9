"""Agent memory on the wire: short-term events and sessions, long-term records, search."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """One short-term event: a turn (``role`` and ``text``) or a JSON ``payload``."""

    id: int
    actor: str
    session: str
    at: float
    role: str | None = None
    text: str | None = None
    payload: Any = None


class SessionInfo(BaseModel):
    actor: str
    session: str
    events: int
    first_at: float
    last_at: float


class Record(BaseModel):
    id: str
    namespace: str
    key: str
    text: str
    data: Any = None
    created_at: float
    updated_at: float
    expires_at: float | None = None


class SearchHit(BaseModel):
    record: Record
    score: float  # FTS5's BM25, negated: higher is a better match


class EventsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor: str
    events: list[dict[str, Any]]


class BranchIn(BaseModel):
    """A new session from an existing one's events up to ``from_event`` (included)."""

    model_config = ConfigDict(extra="forbid")

    actor: str
    from_event: int
    to_session: str


class RecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    namespace: str
    text: str
    key: str | None = None
    data: Any = None
    ttl_seconds: float | None = None
    actor: str | None = None  # when set, /users/<other actor>/… is refused


class SearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str
    namespace: str | None = None
    top_k: int = 5
    min_score: float | None = None
    actor: str | None = None


class Retention(BaseModel):
    model_config = ConfigDict(extra="forbid")

    retention_days: float


class Strategies(BaseModel):
    """The extraction strategies an agent runs: ``summary``, ``preferences``, ``facts``,
    ``custom`` (``custom_prompt`` then says what to draw from the user's turns)."""

    model_config = ConfigDict(extra="forbid")

    strategies: list[str]
    custom_prompt: str | None = None


class MemorySettings(BaseModel):
    """An agent's memory settings: how long events are kept, which strategies run."""

    agent: str
    retention_days: float
    strategies: list[str]
    custom_prompt: str | None = None
