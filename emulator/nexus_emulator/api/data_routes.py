"""The data plane's routes declared to FastAPI, with the handlers of api/fastpath.py: for the
OpenAPI document, and for a request FastAPI routes to them (another method: 405). Declared on
the first such request or for the document (app.py LAZY_ROUTERS): declaring them builds
FastAPI's dependency analysis of each, which the start to ready does not need."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from nexus_emulator.api import data
from nexus_emulator.api.deps import emulator_of
from nexus_emulator.api.fastpath import ROUTES, DataRoute, serve
from nexus_emulator.core import Emulator

router = APIRouter(tags=["data"])


class _Handled(Response):
    """A response that is the data-plane handler itself."""

    def __init__(self, em: Emulator, route: DataRoute, name: str) -> None:
        super().__init__()
        self.em, self.route, self.name = em, route, name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await serve(self.em, self.route, self.name, scope, receive, send)


def _endpoint(route: DataRoute) -> Callable[..., Awaitable[Response]]:
    async def endpoint(name: str, request: Request, env: str | None = None) -> Response:
        return _Handled(emulator_of(request), route, name)  # env: read by the handler

    return endpoint


def _declare(verb: str, summary: str, **openapi: Any) -> None:
    public, versioned = ROUTES[verb]
    for route, said in ((public, summary), (versioned, f"{summary} (as {public.path})")):
        router.add_api_route(
            route.path, _endpoint(route), methods=["POST"], summary=said, **openapi
        )


_declare("run", "Run an agent synchronously", openapi_extra=data.RUN_DOC)
_declare(
    "stream",
    "Run an agent and receive its answer as server-sent events",
    openapi_extra=data.RUN_DOC,
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
_declare("tasks", "Submit a run for later", openapi_extra=data.SUBMIT_DOC, status_code=202)
