"""The ``nexus`` console script: bash completions the name cache can answer, else the CLI.

A TAB runs ``nexus`` with ``_NEXUS_COMPLETE`` set; importing the CLI (Typer,
every command) costs far more than the 100 ms a completion may take, so the
common name completions are answered before that import (``_namecache.fast_bash``).
"""

from __future__ import annotations

import os
import sys


def run() -> None:
    if os.environ.get("_NEXUS_COMPLETE") == "complete_bash":
        from nexus_cli._namecache import fast_bash

        found = fast_bash(dict(os.environ))
        if found is not None:
            sys.stdout.write("\n".join(found))
            sys.exit(0)
    from nexus_cli.main import run as main_run

    main_run()
