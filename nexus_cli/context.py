"""Global options of one ``nexus`` invocation and the provider they select.

The root callback fills :data:`GLOBALS`; commands read it. Nothing here
imports a heavy library at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nexus_cli.providers.base import Provider


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Globals:
    json: bool = False
    debug: bool = False
    provider: str = "local"


GLOBALS = Globals(debug=_env_flag("NEXUS_DEBUG"))


def use_json(flag: bool) -> bool:
    """Merge a command's own ``--json`` with the global one; the answer holds for errors too."""
    if flag:
        GLOBALS.json = True
    return GLOBALS.json


def provider() -> Provider:
    """Load the provider chosen by ``--provider`` / ``NEXUS_PROVIDER``."""
    from nexus_cli import output
    from nexus_cli.providers.registry import get_provider

    return get_provider(GLOBALS.provider, notice=output.notice)
