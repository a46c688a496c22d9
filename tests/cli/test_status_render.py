"""The status view shows calls in flight, HealthyBusy, the per-replica limit, calls waiting,
and pids and memory against their limits (marked where under pressure)."""

from __future__ import annotations

from nexus_cli.commands.agent.status import render


def test_status_shows_calls_usage_and_pressure() -> None:
    replica = {
        "id": "a" * 64,
        "state": "healthy",
        "version": "1.0",
        "endpoint": "http://127.0.0.1:1",
        "in_flight": 2,
        "busy": True,
        "usage": {
            "pids": 240,
            "pids_limit": 256,
            "memory_bytes": 64 * 2**20,
            "memory_limit_bytes": 512 * 2**20,
            "pressure": ["pids"],
        },
    }
    status = {
        "name": "my-agent",
        "environments": [
            {
                "env": "staging",
                "version": "1.0",
                "revision": 1,
                "replicas_desired": 1,
                "replicas": [replica, {**replica, "id": "b" * 64, "usage": None, "busy": False}],
                "max_concurrency": 2,
                "max_attempts": 5,
                "queued": 3,
            }
        ],
    }
    text = "\n".join(render(status))
    assert "at most 2 at once per replica, 3 waiting for a replica" in text
    assert "a task runs 5 times at most" in text
    rows = [line.split() for line in text.splitlines() if line.startswith(("aaaa", "bbbb"))]
    assert rows[0][4:8] == ["2", "busy", "240/256", "!"]
    assert rows[0][8] == "64Mi/512Mi"
    assert rows[1][4:7] == ["2", "-", "-"]
