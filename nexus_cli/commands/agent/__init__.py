"""``nexus ai agent``: one command per verb module, imported when it is used."""

from __future__ import annotations

from nexus_cli.commands._group import Lazy, group

_HERE = "nexus_cli.commands.agent"

app = group(
    "Create, deploy, run and roll back agents.",
    lazy={
        "init": Lazy(
            f"{_HERE}.init:init",
            "Create a new agent project: nexus.toml, agent.py, README.md, .gitignore.",
        ),
        "deploy": Lazy(
            f"{_HERE}.deploy:deploy",
            "Deploy an agent to an environment (builds the project unless --image is given).",
        ),
        "dev": Lazy(
            f"{_HERE}.dev:dev",
            "Run the project on the emulator in development and reload it in place on every save.",
        ),
        "run": Lazy(
            f"{_HERE}.run:run",
            "Run an agent: print its output (text as is, JSON pretty-printed).",
        ),
        "list": Lazy(
            f"{_HERE}.list:list_agents",
            "List agents and the version each environment serves.",
        ),
        "status": Lazy(
            f"{_HERE}.status:status",
            "Show the version, replicas, endpoint and resources of each environment.",
        ),
        "history": Lazy(
            f"{_HERE}.history:history",
            "List every version of an agent, where each is live, and the rollout events.",
        ),
        "rollback": Lazy(
            f"{_HERE}.rollback:rollback",
            "Roll an environment back to the previous version, or to --version.",
        ),
        "logs": Lazy(
            f"{_HERE}.logs:logs",
            "Show the log records of the agent's replicas; JSON lines under --json.",
        ),
        "metrics": Lazy(
            f"{_HERE}.metrics:metrics",
            "Show requests, errors, latency (p50/p95), tokens and queued tasks since the start.",
        ),
        "traces": Lazy(
            f"{_HERE}.traces:traces",
            "List the agent's latest traces (runs, streams, tasks), or one trace's spans.",
        ),
        "scale": Lazy(
            f"{_HERE}.scale:scale",
            "Scale an environment now (--replicas), or let the load decide (--autoscale on).",
        ),
        "restart": Lazy(
            f"{_HERE}.restart:restart",
            "Replace an environment's replicas with new ones of the same version.",
        ),
        "delete": Lazy(
            f"{_HERE}.delete:delete",
            "Delete an agent in every environment, with all its versions.",
        ),
        "secret": Lazy(
            f"{_HERE}.secret:app",
            "Secrets of an agent: injected as environment variables, encrypted at rest.",
        ),
        "task": Lazy(f"{_HERE}.task:app", "Tasks queued with `nexus ai agent run --async`."),
        "authorizer": Lazy(
            f"{_HERE}.authorizer:app",
            "An external OIDC issuer whose tokens may call the agent.",
        ),
        "credential": Lazy(
            f"{_HERE}.credential:app",
            "Outbound credentials an agent uses: API keys and OAuth2 clients.",
        ),
        "memory": Lazy(
            f"{_HERE}.memory:app",
            "An agent's memory: conversation sessions and long-term records.",
        ),
        "webhook": Lazy(
            f"{_HERE}.webhook:app",
            "Task webhooks of an agent, signed as Standard Webhooks.",
        ),
        "sessions": Lazy(
            f"{_HERE}.sessions:sessions",
            "List the agent's sessions that run in a replica of their own (--isolation session).",
        ),
        "session": Lazy(
            f"{_HERE}.session:app",
            "One session of an agent deployed with --isolation session.",
        ),
    },
)

__all__ = ["app"]
