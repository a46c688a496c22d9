"""Agent memory: short-term events per (agent, actor, session) and long-term records
in namespaces searched with SQLite FTS5 (``store.py``), served to replicas on the
platform endpoint and to the CLI on the control plane (``api.py``)."""
