"""The local cache of agent and secret names, versions and task ids that shell
completion answers from.

Completing never touches the network (a TAB must answer at once and must not
start an emulator): the candidates come from ``completion.json``, which the
commands that see the names keep fresh (``list``, ``status``, ``deploy``,
``dev``, ``delete``, ``secret list|set|delete``; versions: ``history``, ``deploy``;
task ids: ``run --async``, ``task list``, ``task status``). The cache lives in
``$NEXUS_CONFIG_DIR/cache`` when that is set, else ``$XDG_CACHE_HOME/nexus``
(``~/.cache/nexus``). A missing or damaged cache completes nothing and is
rewritten by the next command that sees the names; writing it never fails a
command.

``fast_bash`` answers the common bash completions (an agent name after
``nexus ai agent VERB``, an environment after ``--env``, a secret name after
``secret delete NAME``, a version after ``rollback|logs NAME --version``, a task id
after ``task status|cancel|retry``) from this module alone, before the CLI and Typer are
imported (``nexus_cli.entry``): tens of milliseconds instead of hundreds.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

CACHE_NAME = "completion.json"
ENVIRONMENTS = ("development", "staging", "production")  # as nexus.ai.spec.ENVIRONMENTS


def cache_path() -> Path:
    config = os.environ.get("NEXUS_CONFIG_DIR")
    if config:
        return Path(config).expanduser() / "cache" / CACHE_NAME
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nexus" / CACHE_NAME


def load() -> dict[str, Any]:
    """The cache, or an empty one when it is missing or damaged."""
    import json

    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _names(value: Any) -> list[str]:
    return sorted({v for v in value if isinstance(v, str)}) if isinstance(value, list) else []


def _save(data: dict[str, Any]) -> None:
    import json

    path = cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{CACHE_NAME}.{os.getpid()}")
        tmp.write_text(json.dumps(data | {"updated": time.time()}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # completion is a convenience: never fail the command that feeds it


def remember_agents(names: list[str]) -> None:
    """The full list of agents, as ``list`` saw it."""
    data = load()
    data["agents"] = _names(list(names))
    for per_agent in ("secrets", "versions"):
        found = data.get(per_agent)
        if isinstance(found, dict):
            data[per_agent] = {k: v for k, v in found.items() if k in data["agents"]}
    _save(data)


def add_agent(name: str) -> None:
    data = load()
    names = _names(data.get("agents"))
    if name not in names:
        data["agents"] = sorted([*names, name])
        _save(data)


def forget_agent(name: str) -> None:
    data = load()
    data["agents"] = [n for n in _names(data.get("agents")) if n != name]
    for per_agent in ("secrets", "versions"):
        found = data.get(per_agent)
        if isinstance(found, dict):
            found.pop(name, None)
    _save(data)


def remember_secrets(agent: str, keys: list[str]) -> None:
    data = load()
    secrets = data.get("secrets")
    data["secrets"] = (secrets if isinstance(secrets, dict) else {}) | {agent: _names(keys)}
    _save(data)


def change_secret(agent: str, key: str, present: bool) -> None:
    secrets = load().get("secrets")
    known = _names(secrets.get(agent)) if isinstance(secrets, dict) else []
    remember_secrets(agent, [*known, key] if present else [k for k in known if k != key])


MAX_TASKS = 50  # the most recent task ids kept for completion


def remember_versions(agent: str, labels: list[str], *, merge: bool = False) -> None:
    """The versions of ``agent`` (labels and rN): all of them as ``history`` saw them, or
    with ``merge`` one more (a deploy's) next to those known."""
    data = load()
    versions = data.get("versions")
    versions = versions if isinstance(versions, dict) else {}
    known = _names(versions.get(agent)) if merge else []
    data["versions"] = versions | {agent: _names([*known, *labels])}
    _save(data)


def add_tasks(ids: list[str]) -> None:
    """Task ids just seen (submitted or listed), newest first; the oldest fall off."""
    data = load()
    known = data.get("tasks")
    old = [t for t in known if isinstance(t, str)] if isinstance(known, list) else []
    fresh = [t for t in ids if isinstance(t, str)]
    data["tasks"] = list(dict.fromkeys([*fresh, *old]))[:MAX_TASKS]
    _save(data)


def versions_of(agent: str, incomplete: str) -> list[str]:
    versions = load().get("versions")
    return _matches(versions.get(agent), incomplete) if isinstance(versions, dict) else []


def task_ids(incomplete: str) -> list[str]:
    tasks = load().get("tasks")
    if not isinstance(tasks, list):
        return []
    return [t for t in tasks if isinstance(t, str) and t.startswith(incomplete)]


AGENT_VERBS = {
    "status",
    "logs",
    "run",
    "history",
    "rollback",
    "metrics",
    "traces",
    "scale",
    "delete",
}
SECRET_VERBS = {"set", "delete", "list"}
TASK_VERBS = {"status", "cancel", "retry"}


def _matches(values: Any, incomplete: str) -> list[str]:
    return [v for v in _names(values) if v.startswith(incomplete)]


def fast_bash(environ: dict[str, str]) -> list[str] | None:
    """Candidates for a bash completion this module can answer alone, else None."""
    import shlex

    try:
        words = shlex.split(environ.get("COMP_WORDS", ""))
        cword = int(environ.get("COMP_CWORD", ""))
    except ValueError:
        return None
    incomplete = words[cword] if cword < len(words) else ""
    if incomplete.startswith("-") or words[1:3] != ["ai", "agent"] or cword < 4:
        return None
    verb = words[3]
    if words[cword - 1] in ("--env", "-e") and verb in AGENT_VERBS | {"secret"}:
        return [e for e in ENVIRONMENTS if e.startswith(incomplete)]
    if words[cword - 1] in ("--version", "-v") and verb in ("rollback", "logs") and cword > 5:
        return versions_of(words[4], incomplete)
    if verb in AGENT_VERBS and cword == 4:
        return _matches(load().get("agents"), incomplete)
    if verb == "task" and cword == 5 and words[4] in TASK_VERBS:
        return task_ids(incomplete)
    if verb == "secret" and len(words) > 4 and words[4] in SECRET_VERBS:
        if cword == 5:
            return _matches(load().get("agents"), incomplete)
        secrets = load().get("secrets")
        if words[4] == "delete" and cword == 6 and isinstance(secrets, dict):
            return _matches(secrets.get(words[5]), incomplete)
    return None
