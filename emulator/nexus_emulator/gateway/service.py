"""The gateway's one entry: which models exist, answer a call, account for it.

Both wire shapes (``openai_api.py``, ``anthropic_api.py``) call ``Gateway``; it
refuses unknown models, runs the offline model and records what each call spent
(``ledger.py``). Errors are ``GatewayError``: each wire shape renders them in its
own error shape.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nexus_api.gateway import DeclaredGateway, ModelRoute
from nexus_emulator.gateway import offline
from nexus_emulator.gateway.errors import GatewayError
from nexus_emulator.gateway.ledger import Ledger
from nexus_emulator.gateway.offline import Completion, OfflineModel
from nexus_emulator.metrics import Metrics
from nexus_emulator.tracing import Span

if TYPE_CHECKING:
    from nexus_emulator.gateway.catalog import Catalog
    from nexus_emulator.gateway.quotas import Call as QuotaCall
    from nexus_emulator.gateway.quotas import Quotas
    from nexus_emulator.gateway.upstream import Upstream
    from nexus_emulator.tracing import Tracer


@dataclass(frozen=True)
class Model:
    id: str
    kind: str  # chat | embedding
    provider: str = "offline"
    route: ModelRoute | None = None  # an upstream's model, else the offline one
    agent: str | None = None  # the agent that declared it for itself, else for every agent


MODELS = (Model(offline.CHAT_MODEL, "chat"), Model(offline.EMBED_MODEL, "embedding"))


@dataclass(frozen=True)
class Caller:
    """Who calls: the workload token's agent and environment, and the invocation's id."""

    agent: str
    env: str
    request_id: str | None
    subject: str = ""
    trace_id: str | None = None
    parent_id: str | None = None  # the span the call was made in (its traceparent)
    started: float = field(default_factory=time.time)


Headers = dict[str, str]


class Gateway:
    def __init__(
        self,
        home: Path,
        metrics: Metrics,
        version_of: Callable[[str, str], str | None] | None = None,
    ) -> None:
        self.metrics = metrics  # tokens no invocation took go straight to agent_tokens_total
        self.offline = OfflineModel(offline.fixtures_path(home))
        self.ledger = Ledger()
        self.version_of = version_of  # the version an agent's environment runs
        self.quotas: Quotas | None = None
        self.catalog: Catalog | None = None
        self.key_of: Callable[[str, str], str] | None = None  # (agent, credential) -> key
        self._upstreams: dict[str, Upstream] = {}  # per provider, made at first use
        self.tracer: Tracer | None = None  # a span per model call made within a trace

    def attach(
        self,
        conn: sqlite3.Connection,
        key_of: Callable[[str, str], str] | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        """Keep quotas, counters, the audit and routed models in the state database;
        ``key_of`` reads an agent's API key credential from the vault."""
        from nexus_emulator.gateway.catalog import Catalog
        from nexus_emulator.gateway.quotas import Quotas

        self.quotas = Quotas(conn)
        self.catalog = Catalog(conn)
        self.key_of = key_of
        self.tracer = tracer

    def warm(self) -> None:
        """Load the tokenizer (~1 s) in a thread, so the first model call does not wait."""
        import threading

        from nexus_emulator.gateway import tokens

        threading.Thread(target=tokens.encoder, name="gateway-warm", daemon=True).start()

    def models(self, agent: str | None = None) -> list[Model]:
        """The models ``agent`` may call: built-in, routed for all, and its own (declared
        in its nexus.toml, before a route of the same name); every one without ``agent``."""
        if self.catalog is None:
            return list(MODELS)
        routed = {r.name: Model(r.name, r.kind, r.provider, r) for r in self.catalog.routes()}
        if agent is not None:
            own = self.catalog.own(agent).values()
            routed.update({r.name: Model(r.name, r.kind, r.provider, r, agent) for r in own})
            return [*MODELS, *routed.values()]
        owned = [Model(r.name, r.kind, r.provider, r, a) for a, r in self.catalog.declared()]
        return [*MODELS, *routed.values(), *owned]

    def model(self, name: str | None, kind: str, agent: str | None = None) -> Model:
        """The model a call names (the default of its kind when none), else 404."""
        wanted = name or (offline.CHAT_MODEL if kind == "chat" else offline.EMBED_MODEL)
        models = self.models(agent)
        for m in models:
            if m.id == wanted:
                if m.kind != kind:  # OpenAI's answer too: 404, "not a chat model"
                    a = {"chat": "a chat", "embedding": "an embedding"}
                    raise GatewayError(
                        404,
                        "not_found",
                        f"{wanted} is {a.get(m.kind, m.kind)} model, not {a.get(kind, kind)} one",
                        "model",
                    )
                return m
        known = ", ".join(m.id for m in models if m.kind == kind)
        raise GatewayError(
            404,
            "not_found",
            f"the model {wanted!r} does not exist; models here: {known}",
            "model",
        )

    def declare(self, agent: str, env: str, table: DeclaredGateway) -> None:
        """Apply an agent's nexus.toml ``[gateway]`` (checked with ``check_declared``): its
        own models replace those it had; its quota changes the environment's (a quota
        already so keeps its buckets)."""
        assert self.catalog is not None
        assert self.quotas is not None
        self.catalog.declare(agent, table.models)
        if table.quota is not None:
            change = table.quota.model_dump(exclude_unset=True)
            current = self.quotas.get(agent, env).model_dump()
            if any(current.get(k) != v for k, v in change.items()):
                self.quotas.set(agent, env, change)

    def complete(
        self,
        caller: Caller,
        model: Model,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        max_tokens: int | None,
    ) -> tuple[Completion, Headers]:
        """The answer and the rate-limit headers (a ``GatewayError`` when refused)."""
        call = self._admit(caller, model)
        try:
            done = self.offline.complete(messages, tools=tools, max_tokens=max_tokens)
        except offline.ContextTooLong as exc:
            self._finish(call, 400, 0, 0)
            raise GatewayError(400, "context", str(exc), "messages") from None
        prompt = "\n".join(offline.text_of(m.get("content")) for m in messages)
        answer = done.text or json.dumps([c.__dict__ for c in done.tool_calls])
        self._finish(call, 200, done.prompt_tokens, done.completion_tokens, (prompt, answer))
        self.spent(caller, model, done.prompt_tokens, done.completion_tokens)
        return done, call.headers if call else {}

    def embed(
        self, caller: Caller, model: Model, texts: list[str], dims: int
    ) -> tuple[list[list[float]], Headers]:
        from nexus_emulator.gateway import tokens

        call = self._admit(caller, model)
        vectors = [self.offline.embed(t, dims) for t in texts]
        used = sum(tokens.count(t) for t in texts)
        self._finish(call, 200, used, 0, ("\n".join(texts), ""))
        self.spent(caller, model, used, 0)
        return vectors, call.headers if call else {}

    async def relay_embed(
        self, caller: Caller, model: Model, texts: list[str], dims: int | None
    ) -> tuple[list[list[float]], int, Headers]:
        """The vectors from the model's upstream, the tokens it counted, the headers."""
        assert model.route is not None
        upstream = self.upstream(model.route)
        call = self._admit(caller, model)
        try:
            vectors, used = await upstream.embed(
                model.route, texts, dims, self.key(caller, model.route)
            )
        except GatewayError as exc:
            self._finish(call, exc.status, 0, 0)
            raise
        self._finish(call, 200, used, 0)
        self.spent(caller, model, used, 0)
        return vectors, used, call.headers if call else {}

    def key(self, caller: Caller, route: ModelRoute) -> str | None:
        """The upstream key: the calling agent's credential named by the route."""
        if route.credential is None or self.key_of is None:
            return None
        from nexus_emulator.errors import ApiError

        try:
            return self.key_of(caller.agent, route.credential)
        except ApiError:
            raise GatewayError(
                502,
                "upstream",
                f"{caller.agent} has no API key credential {route.credential!r} for {route.name}: "
                f"nexus ai agent credential set {caller.agent} {route.credential} --api-key -",
            ) from None

    async def relay(
        self, caller: Caller, model: Model, body: dict[str, Any], shape: str = "openai"
    ) -> tuple[dict[str, Any], Headers]:
        """A whole answer from the model's upstream, in the call's shape (see ``upstream``)."""
        assert model.route is not None
        upstream = self.upstream(model.route, shape)
        call = self._admit(caller, model)
        try:
            answer, used = await upstream.chat(model.route, body, self.key(caller, model.route))
        except GatewayError as exc:
            self._finish(call, exc.status, 0, 0)
            raise
        self._finish(call, 200, used.tokens_in, used.tokens_out)
        self.spent(caller, model, used.tokens_in, used.tokens_out)
        return answer, call.headers if call else {}

    async def relay_stream(
        self, caller: Caller, model: Model, body: dict[str, Any], shape: str = "openai"
    ) -> tuple[AsyncIterator[bytes], Headers]:
        """A streamed answer from the model's upstream, in the call's shape: its chunks as
        they come; the call is accounted for when the stream ends."""
        from nexus_emulator.gateway.upstream import Used

        assert model.route is not None
        upstream = self.upstream(model.route, shape)
        call = self._admit(caller, model)
        used = Used()
        try:
            chunks = await upstream.stream(model.route, body, self.key(caller, model.route), used)
        except GatewayError as exc:
            self._finish(call, exc.status, 0, 0)
            raise

        async def relayed() -> AsyncIterator[bytes]:
            try:
                async for chunk in chunks:
                    yield chunk
            finally:
                self._finish(call, 200, used.tokens_in, used.tokens_out)
                self.spent(caller, model, used.tokens_in, used.tokens_out)

        return relayed(), call.headers if call else {}

    def upstream(self, route: ModelRoute, shape: str = "openai") -> Upstream:
        """The client of the route's provider (OpenAI-compatible, Anthropic or Bedrock) for
        a call in OpenAI's shape, or in Anthropic's (``/v1/messages`` to an Anthropic
        model, sent on as it is; other models get it translated to OpenAI's shape)."""
        if route.provider != "anthropic":
            shape = "openai"
        kind = route.provider if shape == "openai" else f"{route.provider}:{shape}"
        upstream = self._upstreams.get(kind)
        if upstream is None:
            if kind == "anthropic:anthropic":
                from nexus_emulator.gateway.anthropic_upstream import AnthropicMessages

                upstream = AnthropicMessages()
            elif kind == "anthropic":
                from nexus_emulator.gateway.anthropic_upstream import AnthropicUpstream

                upstream = AnthropicUpstream()
            elif kind == "bedrock":
                from nexus_emulator.gateway.bedrock_upstream import BedrockUpstream

                upstream = BedrockUpstream()
            else:
                from nexus_emulator.gateway.upstream import OpenAIUpstream

                upstream = OpenAIUpstream()
            self._upstreams[kind] = upstream
        return upstream

    async def close(self) -> None:
        for upstream in self._upstreams.values():
            await upstream.close()

    def _admit(self, caller: Caller, model: Model) -> QuotaCall | None:
        if self.quotas is None:
            return None
        version = self.version_of(caller.agent, caller.env) if self.version_of else None
        audit = {
            "version": version,
            "principal": caller.subject,
            "model": model.id,
            "provider": model.provider,
            "request_id": caller.request_id,
            "trace_id": caller.trace_id,
        }
        return self.quotas.admit(caller.agent, caller.env, audit)

    def _finish(
        self,
        call: QuotaCall | None,
        status: int,
        tokens_in: int,
        tokens_out: int,
        text: tuple[str, str] | None = None,
    ) -> None:
        if call is not None and self.quotas is not None:
            self.quotas.finish(call, status, tokens_in, tokens_out, text)

    def spent(self, caller: Caller, model: Model, tokens_in: int, tokens_out: int) -> None:
        """Account for an answered call: its invocation's tokens, and a span with the
        OpenTelemetry GenAI attributes when the call came within a trace."""
        if self.tracer is not None and caller.trace_id and caller.parent_id:
            operation = "chat" if model.kind == "chat" else "embeddings"
            name = f"{operation} {model.id}"
            span = Span(caller.trace_id, secrets.token_hex(8), caller.parent_id, caller.agent,
                        caller.env, name, "client", caller.started)  # fmt: skip
            attributes = {
                "gen_ai.operation.name": operation,
                "gen_ai.system": model.provider,
                "gen_ai.request.model": model.id,
                "gen_ai.usage.input_tokens": tokens_in,
                "gen_ai.usage.output_tokens": tokens_out,
            }
            self.tracer.finish(span, "ok", **attributes)
        total = tokens_in + tokens_out
        if not self.ledger.add(caller.agent, caller.request_id, model.id, total):
            self.metrics.add_tokens(caller.agent, caller.env, "", model.id, total)
