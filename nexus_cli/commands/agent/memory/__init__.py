"""``nexus ai agent memory``: one command per verb module, imported when it is used."""

from __future__ import annotations

from nexus_cli.commands._group import Lazy, group

_HERE = "nexus_cli.commands.agent.memory"

app = group(
    "An agent's memory: conversation sessions and long-term records.",
    lazy={
        "sessions": Lazy(
            f"{_HERE}.sessions:sessions", "List an agent's memory sessions, most recent first."
        ),
        "show": Lazy(f"{_HERE}.show:show", "Show a session's turns and payloads, oldest first."),
        "search": Lazy(
            f"{_HERE}.search:search",
            "Search an agent's long-term records; higher scores match better (text: BM25, "
            "vector: cosine similarity, hybrid: half of each, at most 1).",
        ),
        "records": Lazy(
            f"{_HERE}.records:records", "List an agent's long-term records, newest first."
        ),
        "delete": Lazy(
            f"{_HERE}.delete:delete",
            "Delete a session, a record, or everything an actor left in an agent's memory.",
        ),
        "settings": Lazy(
            f"{_HERE}.settings:settings",
            "Show or change how long an agent's memory keeps events, what it extracts and "
            "whether its records are searched by meaning.",
        ),
    },
)

__all__ = ["app"]
