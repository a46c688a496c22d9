"""Memory over HTTP, the same routes twice:

- ``/v1/platform/memory/…`` for replicas: the workload token's agent, no other, and
  within it the actor of the call the replica serves (named by ``X-Nexus-Request-Id``,
  ``serving.py``): that actor's sessions and ``/users/<actor>/…`` records, and the
  agent's other namespaces (``rules.Reach``);
- ``/v1/memory/agents/{agent}/…`` on the control plane (admin) for the CLI: any actor.

Sessions: ``POST sessions/{session}/events`` (``{"actor", "events": [{"role",
"text"} | {"payload"}]}``), ``GET sessions[?actor=]``, ``GET
sessions/{session}/events?actor=[&last=K][&turns=true]``, ``POST
sessions/{session}/branch`` (``{"actor", "from_event", "to_session"}``), ``DELETE
sessions/{session}?actor=``. Records: ``PUT records``, ``GET
records[?namespace=][&key=][&limit=]``,
``GET|DELETE records/{id}``, ``POST search``. Settings: ``GET|PUT retention``,
``GET|PUT strategies`` (``extract.py``), ``GET|PUT vectors`` (``{"enabled": true,
"model"?}``: records embedded and searched by meaning too, ``vectors.py``, by the
gateway embedding model ``model`` names, ``embedding.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request

from nexus_api.memory import (
    BranchIn,
    Event,
    EventsIn,
    Record,
    RecordIn,
    Retention,
    SearchHit,
    SearchIn,
    SessionInfo,
    Strategies,
    Vectors,
)
from nexus_emulator.api.deps import checked_name, emulator_of, ready
from nexus_emulator.errors import ApiError, ErrorCode
from nexus_emulator.memory import rules
from nexus_emulator.memory.rules import EVERYONE, Reach
from nexus_emulator.memory.store import Memory, no_record


def _memory(request: Request) -> Memory:
    memory = ready(emulator_of(request)).memory
    assert memory is not None
    return memory


def _vectors_of(memory: Memory, agent: str) -> Vectors:
    vectors = memory.vectors
    assert vectors is not None
    embedded, records = vectors.counts(agent)
    return Vectors(
        enabled=vectors.enabled(agent),
        model=vectors.model_name(agent),
        embedded=embedded,
        records=records,
    )


def workload_agent(request: Request) -> str:
    principal = request.scope["state"]["principal"]
    if principal.agent is None:
        raise ApiError(403, ErrorCode.FORBIDDEN, "the workload token names no agent")
    return str(principal.agent)


def workload_reach(request: Request) -> Reach:
    """The actor of the call the replica serves (its request id), else no actor."""
    served = emulator_of(request).serving.get(
        workload_agent(request), request.headers.get("x-nexus-request-id")
    )
    return Reach(everyone=False, actor=served.actor if served else None)


def admin_agent(agent: str) -> str:
    return checked_name(agent)


def admin_reach() -> Reach:
    return EVERYONE


def _seen(reach: Reach, namespace: str) -> str:
    if not reach.sees(namespace):
        raise rules.bound_to(reach.actor, f"the namespace {namespace}")
    return namespace


def build(prefix: str, agent_of: Callable[..., str], reach_of: Callable[..., Reach]) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=["memory"])
    Agent = Depends(agent_of)
    Reaches = Depends(reach_of)

    @router.post("/sessions/{session}/events", summary="Add turns or payloads to a session")
    async def add_events(
        session: str, body: EventsIn, request: Request, agent: str = Agent, reach: Reach = Reaches
    ) -> list[Event]:
        memory = _memory(request)
        added = memory.append(agent, reach.speaks_as(body.actor), session, body.events)
        if memory.extractor is not None:
            memory.extractor.after_append(agent, body.actor, session)
        return added

    @router.get("/sessions", summary="Sessions, most recent first")
    async def sessions(
        request: Request, actor: str | None = None, agent: str = Agent, reach: Reach = Reaches
    ) -> list[SessionInfo]:
        if not reach.everyone:  # a replica lists its actor's sessions only
            if actor is None and reach.actor is None:
                raise rules.bound_to(None, "sessions")
            actor = reach.speaks_as(actor if actor is not None else str(reach.actor))
        return _memory(request).sessions(agent, actor)

    @router.get("/sessions/{session}/events", summary="A session's events, oldest first")
    async def events(
        session: str,
        actor: str,
        request: Request,
        last: int | None = None,
        turns: bool = False,
        agent: str = Agent,
        reach: Reach = Reaches,
    ) -> list[Event]:
        return _memory(request).events(agent, reach.speaks_as(actor), session, last, turns)

    @router.post("/sessions/{session}/branch", summary="A new session from an earlier event")
    async def branch(
        session: str, body: BranchIn, request: Request, agent: str = Agent, reach: Reach = Reaches
    ) -> list[Event]:
        memory, actor = _memory(request), reach.speaks_as(body.actor)
        return memory.branch(agent, actor, session, body.from_event, body.to_session)

    @router.delete("/sessions/{session}", summary="Delete a session's events")
    async def delete_session(
        session: str, actor: str, request: Request, agent: str = Agent, reach: Reach = Reaches
    ) -> dict[str, Any]:
        n = _memory(request).delete_session(agent, reach.speaks_as(actor), session)
        return {"session": session, "actor": actor, "deleted_events": n}

    @router.delete("/actors/{actor}", summary="Delete an actor's events and /users/ACTOR records")
    async def delete_actor(
        actor: str, request: Request, agent: str = Agent, reach: Reach = Reaches
    ) -> dict[str, Any]:
        events, records = _memory(request).delete_actor(agent, reach.speaks_as(actor))
        return {"actor": actor, "deleted_events": events, "deleted_records": records}

    @router.put("/records", summary="Write a long-term record (by namespace and key)")
    async def put(
        body: RecordIn, request: Request, agent: str = Agent, reach: Reach = Reaches
    ) -> Record:
        namespace = _seen(reach, rules.namespace(agent, body.namespace, body.actor))
        return _memory(request).put(
            agent, namespace, body.text, body.key, body.data, body.ttl_seconds
        )

    @router.get("/records", summary="Records, newest first")
    async def records(
        request: Request,
        namespace: str | None = None,
        key: str | None = None,
        limit: int = 100,
        agent: str = Agent,
        reach: Reach = Reaches,
    ) -> list[Record]:
        if namespace is not None:
            _seen(reach, rules.namespace(agent, namespace, None))
        return _memory(request).records(agent, namespace, max(1, min(limit, 1000)), key, reach)

    @router.get("/records/{record_id}", summary="One record")
    async def get(
        record_id: str, request: Request, agent: str = Agent, reach: Reach = Reaches
    ) -> Record:
        record = _memory(request).get(agent, record_id)
        if not reach.sees(record.namespace):  # another actor's: as if there were none
            raise no_record(record_id)
        return record

    @router.delete("/records/{record_id}", summary="Delete a record")
    async def delete(
        record_id: str, request: Request, agent: str = Agent, reach: Reach = Reaches
    ) -> dict[str, Any]:
        memory = _memory(request)
        if not reach.sees(memory.get(agent, record_id).namespace):
            raise no_record(record_id)
        memory.delete(agent, record_id)
        return {"id": record_id, "deleted": True}

    @router.post("/search", summary="Records ranked by words (FTS5), meaning or both")
    async def search(
        body: SearchIn, request: Request, agent: str = Agent, reach: Reach = Reaches
    ) -> list[SearchHit]:
        if body.namespace is not None:
            _seen(reach, rules.namespace(agent, body.namespace, body.actor))
        return await _memory(request).search_async(agent, body, reach)

    @router.get("/retention", summary="How long events are kept")
    async def retention(request: Request, agent: str = Agent) -> Retention:
        return Retention(retention_days=_memory(request).retention_days(agent))

    @router.put("/retention", summary="Change how long events are kept")
    async def set_retention(body: Retention, request: Request, agent: str = Agent) -> Retention:
        days = _memory(request).set_retention(agent, body.retention_days)
        return Retention(retention_days=days)

    @router.get("/vectors", summary="Whether records are searched by meaning too")
    async def vectors(request: Request, agent: str = Agent) -> Vectors:
        return _vectors_of(_memory(request), agent)

    @router.put("/vectors", summary="Turn vector search on or off")
    async def set_vectors(body: Vectors, request: Request, agent: str = Agent) -> Vectors:
        memory = _memory(request)
        assert memory.vectors is not None
        days = memory.retention_days(agent)
        memory.vectors.set_enabled(agent, body.enabled, days, body.model)
        return _vectors_of(memory, agent)

    @router.get("/strategies", summary="The extraction strategies the agent runs")
    async def strategies(request: Request, agent: str = Agent) -> Strategies:
        return _memory(request).extraction(agent)

    @router.put("/strategies", summary="Choose the extraction strategies")
    async def set_strategies(body: Strategies, request: Request, agent: str = Agent) -> Strategies:
        return _memory(request).set_strategies(agent, body)

    return router


platform_router = build("/v1/platform/memory", workload_agent, workload_reach)
control_router = build("/v1/memory/agents/{agent}", admin_agent, admin_reach)
