"""Turn an entrypoint (``module:Class``) into one callable the server awaits."""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from nexus.ai.agents._agent import Agent
from nexus.ai.agents._context import Context

_DONE = object()


class EntrypointError(Exception):
    """The entrypoint could not be imported or instantiated; the cause is chained."""


class Handler:
    """Calls an agent's ``process`` the way its signature asks for.

    ``await handler(input, ctx)`` gives either the result value or, when the
    agent streams, an async iterator of chunks.
    """

    def __init__(self, fn: Callable[..., Any], name: str) -> None:
        self.fn = fn
        self.name = name
        self.wants_context = _wants_context(fn)
        self.is_asyncgen = inspect.isasyncgenfunction(fn)
        self.is_async = inspect.iscoroutinefunction(fn)

    async def __call__(self, input: Any, ctx: Context) -> Any:
        args = (input, ctx) if self.wants_context else (input,)
        if self.is_asyncgen:
            return self.fn(*args)
        if self.is_async:
            result = await self.fn(*args)
        else:
            # to_thread copies the contextvars, so self.context works in the thread.
            result = await asyncio.to_thread(self.fn, *args)
        if inspect.isawaitable(result):
            result = await result
        if inspect.isgenerator(result):
            return _in_thread(result)
        return result


def is_stream(value: Any) -> bool:
    return hasattr(value, "__anext__")


async def _in_thread(gen: Iterator[Any]) -> AsyncIterator[Any]:
    """Drive a plain generator from worker threads, one chunk at a time."""
    try:
        while True:
            item = await asyncio.to_thread(next, gen, _DONE)
            if item is _DONE:
                return
            yield item
    finally:
        close = getattr(gen, "close", None)
        if close is not None:
            close()


def _wants_context(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = 0
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            return True
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            positional += 1
    return positional >= 2


def load(entrypoint: str) -> Handler:
    """Import ``module:Name``; a class is instantiated once, a function used as is."""
    module_name, sep, attr = entrypoint.partition(":")
    if not sep or not module_name or not attr:
        raise EntrypointError(f"entrypoint {entrypoint!r} must look like module:Class")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise EntrypointError(
            f"cannot import module {module_name!r} of entrypoint {entrypoint!r}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    try:
        target = getattr(module, attr)
    except AttributeError as exc:
        raise EntrypointError(
            f"module {module_name!r} has no attribute {attr!r} (entrypoint {entrypoint!r})"
        ) from exc
    if inspect.isclass(target):
        try:
            target = target()
        except Exception as exc:
            raise EntrypointError(
                f"cannot create the agent {entrypoint}: {type(exc).__name__}: {exc}"
            ) from exc
    elif inspect.isfunction(target) or inspect.iscoroutinefunction(target):
        return Handler(target, entrypoint)
    process = getattr(target, "process", None)
    if not callable(process) or getattr(process, "__func__", None) is Agent.process:
        raise EntrypointError(
            f"{entrypoint} has no process(self, input) method",
        )
    return Handler(process, entrypoint)
