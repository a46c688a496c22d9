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
    from pathlib import Path

    from nexus_cli.providers.base import Provider


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Invocation:
    """Global options of one run of ``nexus`` (``--json``, ``--debug``, ``--provider``...)."""

    json: bool = False
    debug: bool = False
    provider: str | None = None  # --provider / NEXUS_PROVIDER; None: see providers.selection
    profile: str | None = None  # --profile / NEXUS_PROFILE

    @classmethod
    def start(
        cls, *, json: bool, debug: bool, provider: str | None, profile: str | None = None
    ) -> Invocation:
        """A fresh state for a new invocation, made current (``NEXUS_DEBUG=1`` also debugs)."""
        state = cls(
            json=json,
            debug=debug or _env_flag("NEXUS_DEBUG"),
            provider=provider or None,
            profile=profile or None,
        )
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


def provider(env: str | None = None, project_dir: Path | None = None) -> Provider:
    """Load the provider for a command on ``env`` (see :mod:`nexus_cli.providers.selection`)."""
    from nexus_cli import output
    from nexus_cli.providers.registry import get_provider
    from nexus_cli.providers.selection import choose

    state = current()
    name, options, _why = choose(state.provider, state.profile, env, project_dir)
    return get_provider(name, notice=output.notice, **options)


def provider_name(env: str | None = None) -> str:
    """The name of the provider :func:`provider` would load."""
    from nexus_cli.providers.selection import choose

    state = current()
    return choose(state.provider, state.profile, env)[0]
