"""``nexus ai emulator``: one command per verb module, imported when it is used."""

from __future__ import annotations

from nexus_cli.plugin import Lazy, group

_HERE = "nexus_local.commands"

app = group(
    "The local emulator that hosts agents on this machine.",
    lazy={
        "start": Lazy(
            f"{_HERE}.start:start",
            "Start the local emulator on 127.0.0.1 (it is also started on demand).",
        ),
        "stop": Lazy(f"{_HERE}.stop:stop", "Stop the local emulator of this NEXUS_HOME."),
        "status": Lazy(
            f"{_HERE}.status:status",
            "Show whether the local emulator runs, its URL, runtime and files.",
        ),
        "logs": Lazy(
            f"{_HERE}.logs:logs",
            "Print the last lines of the emulator log; --follow keeps printing (Ctrl-C stops).",
        ),
        "reset": Lazy(
            f"{_HERE}.reset:reset",
            "Remove all agents, replicas and local state (the token and log too).",
        ),
        "gc": Lazy(
            f"{_HERE}.gc:gc",
            "Remove orphan images and build folders, unused nexus-deps images and empty secrets "
            "folders (also done on every start).",
        ),
        "base-image": Lazy(
            f"{_HERE}.base_image:base_image",
            "Build a minimal Debian + Python image for agents, for machines that cannot pull one.",
        ),
        "token": Lazy(
            f"{_HERE}.token:token",
            "Print the emulator's admin token (from $NEXUS_HOME/token, else the OS keyring).",
        ),
    },
)

__all__ = ["app"]
