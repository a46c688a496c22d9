"""The gateway's one entry: which models exist, answer a call, account for it.

Both wire shapes (``openai_api.py``, ``anthropic_api.py``) call ``Gateway``; it
refuses unknown models, runs the offline model and records what each call spent
(``ledger.py``). Errors are ``GatewayError``: each wire shape renders them in its
own error shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nexus_emulator.gateway import offline
from nexus_emulator.gateway.ledger import Ledger
from nexus_emulator.gateway.offline import Completion, OfflineModel
from nexus_emulator.metrics import Metrics


@dataclass
class GatewayError(Exception):
    """``kind``: bad_request | not_found | rate_limited | quota_exceeded | context | upstream."""

    status: int
    kind: str
    message: str
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Model:
    id: str
    kind: str  # chat | embedding
    provider: str = "offline"


MODELS = (Model(offline.CHAT_MODEL, "chat"), Model(offline.EMBED_MODEL, "embedding"))


@dataclass(frozen=True)
class Caller:
    """Who calls: the workload token's agent and environment, and the invocation's id."""

    agent: str
    env: str
    request_id: str | None


class Gateway:
    def __init__(self, home: Path, metrics: Metrics) -> None:
        self.metrics = metrics  # tokens no invocation took go straight to agent_tokens_total
        self.offline = OfflineModel(offline.fixtures_path(home))
        self.ledger = Ledger()

    def warm(self) -> None:
        """Load the tokenizer (~1 s) in a thread, so the first model call does not wait."""
        import threading

        from nexus_emulator.gateway import tokens

        threading.Thread(target=tokens.encoder, name="gateway-warm", daemon=True).start()

    def models(self) -> list[Model]:
        return list(MODELS)

    def model(self, name: str | None, kind: str) -> Model:
        """The model a call names (the default of its kind when none), else 404."""
        wanted = name or (offline.CHAT_MODEL if kind == "chat" else offline.EMBED_MODEL)
        for m in MODELS:
            if m.id == wanted:
                if m.kind != kind:
                    raise GatewayError(
                        400,
                        "bad_request",
                        f"{wanted} is a {m.kind} model, not a {kind} one",
                        "model",
                    )
                return m
        known = ", ".join(m.id for m in MODELS if m.kind == kind)
        raise GatewayError(
            404,
            "not_found",
            f"the model {wanted!r} does not exist; models here: {known}",
            "model",
        )

    def complete(
        self,
        caller: Caller,
        model: Model,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        max_tokens: int | None,
    ) -> Completion:
        try:
            done = self.offline.complete(messages, tools=tools, max_tokens=max_tokens)
        except offline.ContextTooLong as exc:
            raise GatewayError(400, "context", str(exc), "messages") from None
        self.spent(caller, model, done.prompt_tokens, done.completion_tokens)
        return done

    def embed(self, caller: Caller, model: Model, texts: list[str], dims: int) -> list[list[float]]:
        from nexus_emulator.gateway import tokens

        vectors = [self.offline.embed(t, dims) for t in texts]
        self.spent(caller, model, sum(tokens.count(t) for t in texts), 0)
        return vectors

    def spent(self, caller: Caller, model: Model, tokens_in: int, tokens_out: int) -> None:
        total = tokens_in + tokens_out
        if not self.ledger.add(caller.agent, caller.request_id, model.id, total):
            self.metrics.add_tokens(caller.agent, caller.env, "", model.id, total)
