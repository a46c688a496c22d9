"""`nexus ai agent run --async` and `nexus ai agent task status|list|cancel`."""

from __future__ import annotations

import json

from tests.cli.cli_support import Platform


def test_async_run_and_task_commands(platform: Platform, deployed: str) -> None:
    queued = platform("--json", "ai", "agent", "run", deployed, "later", "--async")
    assert queued.code == 0, queued.out
    task = json.loads(queued.stdout)
    assert task["status"] == "pending"
    assert task["task_id"].startswith("task_")
    done = platform("ai", "agent", "task", "status", task["task_id"], "--wait")
    assert done.code == 0, done.out
    assert "succeeded  progress 100%  attempt 1  tokens 0" in done.stdout  # no model calls
    shown = json.loads(platform("--json", "ai", "agent", "task", "status", task["task_id"]).stdout)
    assert shown["metadata"]["tokens_used"] == 0
    assert shown["metadata"]["request_id"] == task["task_id"]
    assert "later" in done.stdout
    listed = json.loads(platform("--json", "ai", "agent", "task", "list", deployed).stdout)
    assert task["task_id"] in [t["task_id"] for t in listed]
    late = platform("ai", "agent", "task", "cancel", task["task_id"])
    assert late.code == 2, late.out
    assert "already succeeded" in late.stderr
    dead = json.loads(
        platform("--json", "ai", "agent", "task", "list", deployed, "--status", "dead").stdout
    )
    assert dead == []
    redo = platform("ai", "agent", "task", "retry", task["task_id"])
    assert redo.code == 2, redo.out
    assert "only dead, failed or cancelled tasks are retried" in redo.stderr
    missing = platform("ai", "agent", "task", "status", "task_nope")
    assert missing.code == 2, missing.out
    assert "no task 'task_nope'" in missing.stderr
    hookless = platform("ai", "agent", "run", deployed, "x", "--webhook", "http://127.0.0.1:9/")
    assert hookless.code == 2, hookless.out
    assert "--webhook goes with --async" in hookless.stderr
    both = platform("ai", "agent", "run", deployed, "x", "--stream", "--async")
    assert both.code == 2, both.out
    assert "--stream and --async do not go together" in both.stderr


def test_webhook_secret_show_and_rotate(platform: Platform, deployed: str) -> None:
    shown = json.loads(
        platform("--json", "ai", "agent", "webhook", "secret", "show", deployed).stdout
    )
    assert shown["secret"].startswith("whsec_")
    rotated = platform("ai", "agent", "webhook", "secret", "rotate", deployed)
    assert rotated.code == 0, rotated.out
    assert rotated.stdout.startswith(f"{deployed}: whsec_")
    assert shown["secret"] not in rotated.stdout
    assert "the previous secret also signs until" in rotated.stdout
