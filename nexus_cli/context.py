"""The state of one ``nexus`` invocation: its global options and the provider they select.

The root callback (``nexus_cli.main``) starts every invocation with a fresh
:class:`Invocation`; commands and ``output`` read it with :func:`current`. Nothing
carries over from one invocation to the next, so commands run in-process (the
tests, the dashboard) see only their own flags. The value lives in a context
variable: a thread that no invocation started (a dashboard worker) sees the
defaults. Nothing here imports a heavy library at import time.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nexus_cli.providers.base import Provider


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Invocation:
    """Global options of one run of ``nexus`` (``--json``, ``--debug``, ``--provider``)."""

    json: bool = False
    debug: bool = False
    provider: str = "local"

    @classmethod
    def start(cls, *, json: bool, debug: bool, provider: str) -> Invocation:
        """A fresh state for a new invocation, made current (``NEXUS_DEBUG=1`` also debugs)."""
        state = cls(json=json, debug=debug or _env_flag("NEXUS_DEBUG"), provider=provider)
        _CURRENT.set(state)
        return state


_CURRENT: ContextVar[Invocation | None] = ContextVar("nexus_invocation", default=None)


def current() -> Invocation:
    """The state of the running invocation (defaults outside one)."""
    state = _CURRENT.get()
    if state is None:
        return Invocation(debug=_env_flag("NEXUS_DEBUG"))
    return state


def use_json(flag: bool) -> bool:
    """Merge a command's own ``--json`` with the global one; the answer holds for errors too."""
    state = current()
    if flag:
        state.json = True
    return state.json


def provider() -> Provider:
    """Load the provider chosen by ``--provider`` / ``NEXUS_PROVIDER``."""
    from nexus_cli import output
    from nexus_cli.providers.registry import get_provider

    return get_provider(current().provider, notice=output.notice)
