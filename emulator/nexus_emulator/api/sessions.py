"""An agent's sessions with replicas of their own: ``/v1/agents/{name}/sessions`` (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from nexus_api.models import IsolatedSession, Replica
from nexus_emulator import errors
from nexus_emulator.api.deps import emulator_of, known_agent, ready
from nexus_emulator.sessions import Session, Sessions

router = APIRouter(tags=["agents"])


def info(s: Session, sessions: Sessions) -> IsolatedSession:
    r = s.replica
    return IsolatedSession(
        id=s.id,
        agent=s.agent,
        env=s.env,
        replica=Replica(
            id=r.handle.id,
            state=r.state,
            endpoint=r.handle.endpoint,
            started_at=r.started_at,
            healthy_after_s=r.healthy_after,
            in_flight=r.in_flight,
        ),
        started_at=s.started_at,
        used_at=s.used_at,
        expires_at=min(s.used_at + sessions.idle, s.started_at + sessions.lifetime),
        lost=s.lost,
        lost_at=s.lost_at,
    )


@router.get("/v1/agents/{name}/sessions", summary="The agent's sessions and their replicas")
async def list_sessions(name: str, request: Request) -> list[IsolatedSession]:
    em = ready(emulator_of(request))
    known_agent(em, name)
    return [info(s, em.sessions) for s in em.sessions.of_agent(name)]


@router.delete(
    "/v1/agents/{name}/sessions/{session}",
    summary="End a session: destroy its replica and its filesystem",
)
async def stop_session(name: str, session: str, request: Request) -> IsolatedSession:
    em = ready(emulator_of(request))
    known_agent(em, name)
    found = await em.sessions.stop(name, session)
    if found is None:
        raise errors.not_found(
            f"{name} has no session {session!r}",
            hint=f"nexus ai agent sessions {name}  # lists its sessions",
        )
    return info(found, em.sessions)
