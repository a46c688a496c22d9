"""Which gateway model embeds an agent's memory, and the embedding calls themselves.

An agent's memory is embedded by the gateway's offline model (``nexus-offline-embed``,
256 dimensions) unless its settings name another embedding model the gateway serves
to that agent: a route of kind ``embedding`` to an OpenAI-compatible or Bedrock
(Titan) upstream, for every agent or the agent's own (its nexus.toml ``[gateway]``).
Every call goes through the gateway's own path as the agent (``Gateway.embed`` for
the offline model, ``Gateway.relay_embed`` for an upstream's, with the agent's
credential from the vault): its quotas admit or refuse it, the audit keeps a row
(principal ``memory:embed`` or ``memory:search``). A route's fallback model is not
used here: vectors of two models cannot be compared, so an upstream failure leaves a
record found by its words only (embedded at the next backfill) and fails a search.
Vectors are kept unit length, whatever length the model gives.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from nexus_emulator.errors import ApiError, ErrorCode
from nexus_emulator.memory.index import load_numpy

if TYPE_CHECKING:
    from nexus_emulator.gateway.errors import GatewayError
    from nexus_emulator.gateway.service import Gateway, Model


class Embedder:
    def __init__(self, conn: sqlite3.Connection, gateway: Gateway) -> None:
        self.conn = conn
        self.gateway = gateway
        self._chosen: dict[str, str | None] = {}  # agent -> its model's name (None: default)

    def chosen(self, agent: str) -> str | None:
        """The model the agent's settings name, None for the offline default."""
        if agent not in self._chosen:
            row = self.conn.execute(
                "SELECT embed_model FROM memory_settings WHERE agent=?", (agent,)
            ).fetchone()
            self._chosen[agent] = row[0] if row else None
        return self._chosen[agent]

    def model(self, agent: str, name: str | None = None) -> Model:
        """The gateway model that embeds the agent's memory (or ``name``, checked)."""
        from nexus_emulator.gateway.errors import GatewayError

        try:
            return self.gateway.model(name or self.chosen(agent), "embedding", agent)
        except GatewayError as exc:
            raise ApiError(
                409 if name is None else 400,
                ErrorCode.USAGE,
                f"no embedding model for the memory of {agent}: {exc.message}",
                hint=f"nexus ai agent memory settings {agent} --embedding-model "
                "nexus-offline-embed  # or a route of kind embedding",
            ) from None

    def choose(self, agent: str, name: str, retention_days: float) -> bool:
        """Embed the agent's memory with the model ``name`` from now on (the offline
        model is stored as None, the default); True when that changes its model."""
        from nexus_emulator.gateway.offline import EMBED_MODEL

        model = self.model(agent, name)
        stored = None if model.id == EMBED_MODEL else model.id
        changed = stored != self.chosen(agent)
        with self.conn:
            self.conn.execute(
                "INSERT INTO memory_settings(agent, retention_days, embed_model) VALUES (?, ?, ?) "
                "ON CONFLICT(agent) DO UPDATE SET embed_model=excluded.embed_model",
                (agent, retention_days, stored),
            )
        self._chosen[agent] = stored
        return changed

    def forget(self) -> None:
        self._chosen.clear()

    def embed(self, agent: str, texts: list[str], purpose: str) -> list[bytes]:
        """Unit float32 vectors of ``texts`` from the offline model (an upstream's is
        reached by ``embed_async`` only: this runs in no event loop's place)."""
        from nexus_emulator.gateway.errors import GatewayError
        from nexus_emulator.gateway.offline import DIMENSIONS

        model = self.model(agent)
        if model.route is not None:
            raise ApiError(
                409,
                ErrorCode.USAGE,
                f"the memory of {agent} is embedded by {model.id}, an upstream's model: "
                "it is reached through the emulator's API",
                hint=f"POST /v1/memory/agents/{agent}/search",
            )
        try:
            vectors, _ = self.gateway.embed(self._caller(agent, purpose), model, texts, DIMENSIONS)
        except GatewayError as exc:
            raise refused(agent, exc) from None
        return unit(vectors)

    async def embed_async(self, agent: str, texts: list[str], purpose: str) -> list[bytes]:
        """``embed``, from the agent's upstream model when its settings name one."""
        from nexus_emulator.gateway.errors import GatewayError

        model = self.model(agent)
        if model.route is None:
            return self.embed(agent, texts, purpose)
        caller = self._caller(agent, purpose)
        try:
            vectors, _, _ = await self.gateway.relay_embed(caller, model, texts, None)
        except GatewayError as exc:
            raise refused(agent, exc) from None
        if len(vectors) != len(texts) or len({len(v) for v in vectors}) > 1:
            raise ApiError(
                502,
                ErrorCode.UNAVAILABLE,
                f"{model.id} answered {len(vectors)} vectors of unequal or wrong count "
                f"for {len(texts)} texts",
                hint=f"nexus ai gateway models  # where {model.id} is routed",
            )
        return unit(vectors)

    def _caller(self, agent: str, purpose: str) -> Any:
        from nexus_emulator.gateway.service import Caller

        return Caller(agent, "development", None, f"memory:{purpose}")


def unit(vectors: list[list[float]]) -> list[bytes]:
    np = load_numpy()
    out = []
    for v in vectors:
        a = np.asarray(v, dtype=np.float32)
        a /= float(np.linalg.norm(a)) or 1.0
        out.append(a.tobytes())
    return out


def refused(agent: str, exc: GatewayError) -> ApiError:
    code = ErrorCode.FORBIDDEN if exc.status == 403 else ErrorCode.USAGE
    return ApiError(
        exc.status,
        ErrorCode.UNAVAILABLE if exc.status >= 429 else code,
        f"the gateway refused the embedding: {exc.message}",
        hint=f"nexus ai gateway quota show {agent}  # the agent's quotas",
    )
