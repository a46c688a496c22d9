"""``nexus ai agent``: one command per verb module, imported when it is used."""

from __future__ import annotations

from nexus_cli.commands._group import LazyGroup, group

_HERE = "nexus_cli.commands.agent"


class _Agent(LazyGroup):
    lazy = {
        "init": f"{_HERE}.init:init",
        "deploy": f"{_HERE}.deploy:deploy",
        "dev": f"{_HERE}.dev:dev",
        "run": f"{_HERE}.run:run",
        "list": f"{_HERE}.list:list_agents",
        "status": f"{_HERE}.status:status",
        "history": f"{_HERE}.history:history",
        "rollback": f"{_HERE}.rollback:rollback",
        "logs": f"{_HERE}.logs:logs",
        "metrics": f"{_HERE}.metrics:metrics",
        "traces": f"{_HERE}.traces:traces",
        "scale": f"{_HERE}.scale:scale",
        "restart": f"{_HERE}.restart:restart",
        "delete": f"{_HERE}.delete:delete",
        "secret": f"{_HERE}.secret:app",
        "task": f"{_HERE}.task:app",
        "authorizer": f"{_HERE}.authorizer:app",
        "credential": f"{_HERE}.credential:app",
        "memory": f"{_HERE}.memory:app",
        "webhook": f"{_HERE}.webhook:app",
        "sessions": f"{_HERE}.sessions:sessions",
        "session": f"{_HERE}.session:app",
    }


app = group("Create, deploy, run and roll back agents.", cls=_Agent)

__all__ = ["app"]
