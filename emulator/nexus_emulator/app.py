"""The emulator's ASGI application: the pipeline, the routes, the error shape."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

import nexus_emulator
from nexus.ai.spec import SpecError
from nexus_emulator import errors
from nexus_emulator.config import EmulatorConfig
from nexus_emulator.core import Emulator
from nexus_emulator.pipeline import Auth, Metrics, RequestContext

log = logging.getLogger("nexus_emulator")


class App:
    """What uvicorn serves: the request pipeline, then the FastAPI routes (``api``)."""

    def __init__(self, api: FastAPI, emulator: Emulator, pipeline: list[Middleware]) -> None:
        self.api = api
        self.emulator = emulator
        app: ASGIApp = api
        for step, args, kwargs in reversed(pipeline):
            app = step(app, *args, **kwargs)
        self.asgi = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.asgi(scope, receive, send)


def create_app(config: EmulatorConfig, *, own_lifespan: bool = True) -> App:
    """The app; with ``own_lifespan=False`` the caller starts and stops ``app.emulator``."""
    from nexus_emulator.api import (
        authorizer,
        control,
        credentials,
        fastpath,
        health,
        identity,
        logs,
        metrics,
        otlp,
        secrets,
        tasks,
    )
    from nexus_emulator.gateway import admin_api, anthropic_api, openai_api
    from nexus_emulator.memory import api as memory_api

    em = Emulator(config)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if not own_lifespan:
            yield
            return
        await em.start()
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
    for module in (
        health,
        identity,
        authorizer,
        credentials,
        control,
        fastpath,
        tasks,
        logs,
        metrics,
        secrets,
        openai_api,
        anthropic_api,
        admin_api,
        otlp,
    ):
        app.include_router(module.router)
    app.include_router(memory_api.platform_router)
    app.include_router(memory_api.control_router)

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
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        err = errors.from_status(exc.status_code, str(exc.detail))
        return JSONResponse(err.body(), status_code=err.status, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(errors.internal(exc).body(), status_code=500)

    return App(app, em, pipeline)
