"""``POST /v1/platform/otlp/v1/traces``: the agents' own spans (see ``otlp.py``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from nexus_emulator import errors
from nexus_emulator.api.deps import emulator_of, ready
from nexus_emulator.api.identity import principal_of
from nexus_emulator.otlp import BadPayload, from_json, from_protobuf

router = APIRouter(tags=["traces"])


@router.post("/v1/platform/otlp/v1/traces", summary="OTLP/HTTP trace export (protobuf or JSON)")
async def export(request: Request) -> Response:
    em = ready(emulator_of(request))
    principal = principal_of(request)
    if principal.agent is None:
        raise errors.ApiError(403, errors.ErrorCode.FORBIDDEN, "the token names no agent")
    body = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    env = principal.env or "development"
    try:
        if kind == "application/json":
            spans = from_json(body, principal.agent, env)
        elif kind in ("application/x-protobuf", "application/protobuf"):
            spans = from_protobuf(body, principal.agent, env)
        else:
            raise errors.usage(
                f"content type {kind or 'none'} is not OTLP",
                hint="send application/x-protobuf or application/json",
            )
    except BadPayload as exc:
        raise errors.usage(str(exc)) from None
    em.tracer.pending.extend(spans)
    if kind == "application/json":
        return JSONResponse({"partialSuccess": {}})
    return Response(b"", media_type="application/x-protobuf")
