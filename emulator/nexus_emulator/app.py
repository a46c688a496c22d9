"""The emulator's ASGI application: the pipeline, the routes, the error shape."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future
from contextlib import asynccontextmanager
from importlib import import_module
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

import nexus_emulator
from nexus.ai.spec import SpecError
from nexus_emulator import errors
from nexus_emulator.config import EmulatorConfig
from nexus_emulator.core import Emulator
from nexus_emulator.pipeline import Auth, Metrics, RequestContext

log = logging.getLogger("nexus_emulator")


# Routers imported on the first request under one of their path prefixes, or for the
# OpenAPI document: FastAPI analyses each route's signature and builds pydantic adapters
# for it when it is declared, and a start that declared all of them took about twice as
# long to be ready. (module, router attribute, path prefixes; {} is one path segment)
LAZY_ROUTERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "nexus_emulator.api.identity",
        "router",
        ("/.well-known/", "/v1/identity/", "/v1/platform/identity"),
    ),
    ("nexus_emulator.api.authorizer", "router", ("/v1/agents/{}/authorizer",)),
    ("nexus_emulator.api.sessions", "router", ("/v1/agents/{}/sessions",)),
    (  # the data plane's calls are answered before routing: these serve other methods (405)
        "nexus_emulator.api.data_routes",
        "router",
        ("/agents/", "/v1/agents/{}/run", "/v1/agents/{}/stream", "/v1/agents/{}/tasks"),
    ),
    (
        "nexus_emulator.api.credentials",
        "router",
        ("/v1/agents/{}/credentials", "/v1/platform/credentials/"),
    ),
    (
        "nexus_emulator.api.tasks",
        "router",
        ("/v1/agents/{}/webhook-secret", "/v1/agents/{}/tasks", "/v1/tasks/"),
    ),
    ("nexus_emulator.api.logs", "router", ("/v1/agents/{}/logs",)),
    (
        "nexus_emulator.api.metrics",
        "router",
        ("/metrics", "/v1/agents/{}/metrics", "/v1/agents/{}/traces", "/v1/traces/"),
    ),
    ("nexus_emulator.api.secrets", "router", ("/v1/agents/{}/secrets",)),
    ("nexus_emulator.gateway.openai_api", "router", ("/v1/platform/gateway/",)),
    ("nexus_emulator.gateway.anthropic_api", "router", ("/v1/platform/gateway/",)),
    ("nexus_emulator.gateway.admin_api", "router", ("/v1/gateway/",)),
    ("nexus_emulator.api.otlp", "router", ("/v1/platform/otlp/",)),
    ("nexus_emulator.memory.api", "platform_router", ("/v1/platform/memory/",)),
    ("nexus_emulator.memory.api", "control_router", ("/v1/memory/",)),
)


class LazyRouter:
    """A router of ``LAZY_ROUTERS``: an empty slot in the app's routes, in its place in the
    route order (and the OpenAPI document), filled when first needed."""

    def __init__(self, module: str, attribute: str, prefixes: tuple[str, ...]) -> None:
        self.module, self.attribute = module, attribute
        self.wants = re.compile(
            "|".join(re.escape(p).replace(re.escape("{}"), "[^/]+") for p in prefixes)
        ).match
        self.slot = APIRouter()

    def load(self) -> None:
        self.slot.include_router(getattr(import_module(self.module), self.attribute))


class LoadRouters:
    """In front of the FastAPI app: fills the lazy routers a request needs before it is routed
    (calls on the data plane are answered before this and never pass here)."""

    def __init__(self, app: ASGIApp, lazy: list[LazyRouter], everything: tuple[str, ...]) -> None:
        self.app, self.pending, self.everything = app, lazy, everything

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.pending and scope["type"] == "http":
            path = scope["path"]
            wanted = [r for r in self.pending if path in self.everything or r.wants(path)]
            for router in wanted:
                router.load()
                self.pending.remove(router)
        await self.app(scope, receive, send)


class App:
    """What uvicorn serves: the request pipeline, then the FastAPI routes (``api``)."""

    def __init__(
        self, api: FastAPI, emulator: Emulator, pipeline: list[Middleware], lazy: list[LazyRouter]
    ) -> None:
        self.api = api
        self.emulator = emulator
        docs = tuple(url for url in (api.openapi_url, api.docs_url, api.redoc_url) if url)
        self.routers = LoadRouters(api, lazy, docs)
        app: ASGIApp = self.routers
        for step, args, kwargs in reversed(pipeline):
            app = step(app, *args, **kwargs)
        self.asgi = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.asgi(scope, receive, send)


def _declared(routes: list[Any]) -> Iterator[Any]:
    """Every route, those of included routers too (FastAPI keeps an included router whole)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _declared(included.routes)
        else:
            yield route


def allowed(app: FastAPI, scope: Scope) -> list[str]:
    """The methods the routes of a path take (routes of one path may be declared apart)."""
    methods: set[str] = set()
    for route in _declared(app.router.routes):
        match, _ = route.matches({**scope, "method": "GET"})
        if match is not Match.NONE and isinstance(route, APIRoute):
            methods |= route.methods or set()
    return sorted(methods)


def create_app(
    config: EmulatorConfig,
    *,
    own_lifespan: bool = True,
    admin_token: Future[tuple[str, str]] | None = None,
) -> App:
    """The app; with ``own_lifespan=False`` the caller starts and stops ``app.emulator``
    (``admin_token``: the admin credential when the caller is already looking it up)."""
    from nexus_emulator.api import control, fastpath, health

    em = Emulator(config, admin_token)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if not own_lifespan:
            yield
            return
        await em.start()
        em.warm(unless_idle=True)
        try:
            yield
        finally:
            await em.stop()

    # The request pipeline, outermost first (see pipeline.py). It wraps the FastAPI
    # app from outside, so the data plane's calls pass no FastAPI layer at all.
    pipeline = [
        Middleware(RequestContext),
        Middleware(Auth, check=em.identity.guard.check),
        Middleware(Metrics, counts=em.http_counts),
        Middleware(fastpath.DataPlane, emulator=em),
    ]
    app = FastAPI(
        title="Nexus emulator",
        version=nexus_emulator.__version__,
        description="Local emulation of the Nexus agent hosting platform.",
        lifespan=lifespan,
    )
    app.state.emulator = em
    described = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from nexus_emulator.api import document  # only for the document: not at start

            app.openapi_schema = document.exact(described(), em.runtime.name)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    lazy = {
        (module, attribute): LazyRouter(module, attribute, prefixes)
        for module, attribute, prefixes in LAZY_ROUTERS
    }

    def slot(module: str, attribute: str = "router") -> APIRouter:
        return lazy[f"nexus_emulator.{module}", attribute].slot

    for router in (
        health.router,
        slot("api.identity"),
        slot("api.authorizer"),
        slot("api.sessions"),
        slot("api.credentials"),
        control.router,
        slot("api.data_routes"),
        slot("api.tasks"),
        slot("api.logs"),
        slot("api.metrics"),
        slot("api.secrets"),
        slot("gateway.openai_api"),
        slot("gateway.anthropic_api"),
        slot("gateway.admin_api"),
        slot("api.otlp"),
        slot("memory.api", "platform_router"),
        slot("memory.api", "control_router"),
    ):
        app.include_router(router)

    @app.exception_handler(errors.ApiError)
    async def api_error(_request: Request, exc: errors.ApiError) -> JSONResponse:
        headers = {k.decode(): v.decode() for k, v in exc.headers()}
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        broken = [e.get("ctx", {}).get("error") for e in exc.errors()]
        rule = next((b for b in broken if isinstance(b, SpecError)), None)
        if rule is not None:  # a platform rule (bounds, limits): its own message and hint
            return JSONResponse(errors.from_spec(rule).body(), status_code=400)
        details = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        err = errors.usage("the request does not match the API", details=details)
        return JSONResponse(err.body(), status_code=err.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        err = errors.from_status(exc.status_code, str(exc.detail))
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method of the path, not only the first route's
            headers["Allow"] = ", ".join(allowed(app, request.scope))
        return JSONResponse(err.body(), status_code=err.status, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(errors.internal(exc).body(), status_code=500)

    return App(app, em, pipeline, list(lazy.values()))
