"""Agent memory on the wire: short-term events and sessions, long-term records, search."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictBool

from nexus_api.numbers import Number, Whole


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


SearchMode = Literal["text", "vector", "hybrid"]


class SearchHit(BaseModel):
    """A found record. ``score`` is the mode's (higher is better): ``text`` FTS5's BM25,
    negated; ``vector`` the cosine similarity (-1..1); ``hybrid`` half the cosine plus
    half the BM25 score divided by the best BM25 score among the candidates."""

    record: Record
    score: float
    text_score: float | None = None  # -BM25, when the words matched
    vector_score: float | None = None  # cosine similarity, when the record has a vector


class EventsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor: str
    events: list[dict[str, Any]]


class BranchIn(BaseModel):
    """A new session from an existing one's events up to ``from_event`` (included)."""

    model_config = ConfigDict(extra="forbid")

    actor: str
    from_event: Whole
    to_session: str


class RecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    namespace: str
    text: str
    key: str | None = None
    data: Any = None
    ttl_seconds: Number | None = None
    actor: str | None = None  # when set, /users/<other actor>/… is refused


class SearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str
    namespace: str | None = None
    top_k: Whole = 5
    min_score: Number | None = None
    actor: str | None = None
    mode: SearchMode | None = None  # default: hybrid when the agent has vectors on, else text


class Retention(BaseModel):
    model_config = ConfigDict(extra="forbid")

    retention_days: Number


class Strategies(BaseModel):
    """The extraction strategies an agent runs: ``summary``, ``preferences``, ``facts``,
    ``custom`` (``custom_prompt`` then says what to draw from the user's turns)."""

    model_config = ConfigDict(extra="forbid")

    strategies: list[str]
    custom_prompt: str | None = None


class Vectors(BaseModel):
    """Vector search of an agent's records: on or off; when on, every record is embedded
    through the gateway's embedding model (those written before in the background):
    the offline one unless ``model`` names another embedding model the gateway serves
    the agent (a route to an upstream); a change of model embeds every record again."""

    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool
    model: str | None = None  # the embedding model: asked (None keeps it) and answered
    embedded: Whole | None = None  # answered: live records that have a vector
    records: Whole | None = None  # answered: live records


class SettingsChange(BaseModel):
    """What ``memory settings`` changes; a part left None stays as it is."""

    model_config = ConfigDict(extra="forbid")

    retention_days: Number | None = None
    strategies: Strategies | None = None
    vectors: StrictBool | None = None
    embedding_model: str | None = None  # a gateway embedding model's name


class MemorySettings(BaseModel):
    """An agent's memory settings: how long events are kept, which strategies run,
    whether records are searched by vector too."""

    agent: str
    retention_days: Number
    strategies: list[str]
    custom_prompt: str | None = None
    vectors: bool = False
    embedding_model: str | None = None
