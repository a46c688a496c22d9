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

import nexus_emulator
from nexus.ai.spec import SpecError
from nexus_emulator import errors
from nexus_emulator.config import EmulatorConfig
from nexus_emulator.core import Emulator
from nexus_emulator.pipeline import Auth, Metrics, RequestContext

log = logging.getLogger("nexus_emulator")


def create_app(config: EmulatorConfig, *, own_lifespan: bool = True) -> FastAPI:
    """The app; with ``own_lifespan=False`` the caller starts and stops ``app.state.emulator``."""
    from nexus_emulator.api import (
        authorizer,
        control,
        credentials,
        data,
        health,
        identity,
        logs,
        metrics,
        secrets,
        stream,
        tasks,
    )

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

    # The request pipeline, outermost first (see pipeline.py).
    pipeline = [
        Middleware(RequestContext),
        Middleware(Auth, check=em.identity.guard.check),
        Middleware(Metrics, counts=em.http_counts),
    ]
    app = FastAPI(
        title="Nexus emulator",
        version=nexus_emulator.__version__,
        description="Local emulation of the Nexus agent hosting platform.",
        lifespan=lifespan,
        middleware=pipeline,
    )
    app.state.emulator = em
    for module in (
        health,
        identity,
        authorizer,
        credentials,
        control,
        data,
        stream,
        tasks,
        logs,
        metrics,
        secrets,
    ):
        app.include_router(module.router)

    @app.exception_handler(errors.ApiError)
    async def api_error(_request: Request, exc: errors.ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

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
        log.exception("unexpected error", exc_info=exc)
        err = errors.failed(
            f"internal error: {type(exc).__name__}: {exc}",
            hint="nexus ai emulator logs  # shows the traceback",
        )
        return JSONResponse(err.body(), status_code=500)

    return app
