"""Where a call goes, from memory: agent names, their environments, live version labels.

The data plane asks this table on every call instead of the database. It is
rebuilt from the store when the store's ``generation`` moved (every write of an
agent, deployment or version bumps it), so it is never older than the last
committed change and costs no read while nothing changes.
"""

from __future__ import annotations

from nexus.ai import spec
from nexus_emulator import errors
from nexus_emulator.envs import not_deployed_error
from nexus_emulator.store import Store


class Routing:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._generation = -1
        self._names: frozenset[str] = frozenset()
        self._envs: dict[str, list[str]] = {}
        self._labels: dict[tuple[str, int], str | None] = {}
        self._isolated: frozenset[tuple[str, str]] = frozenset()  # isolation = "session"

    def _fresh(self) -> None:
        if self._generation == self.store.generation:
            return
        generation = self.store.generation
        envs: dict[str, list[str]] = {}
        isolated = set()
        for d in self.store.deployments():
            envs.setdefault(d.agent, []).append(d.env)
            if d.isolation == "session":
                isolated.add((d.agent, d.env))
        self._isolated = frozenset(isolated)
        self._names = frozenset(self.store.agent_names())
        self._envs = envs
        self._labels = {}
        self._generation = generation

    def names(self) -> frozenset[str]:
        self._fresh()
        return self._names

    def known(self, name: str) -> str:
        """The name when the agent exists; else 404 with the closest name as a hint."""
        self._fresh()
        if name in self._names:
            return name
        close = spec.suggest(name, sorted(self._names))
        raise errors.not_found(
            f"no agent named {name!r}",
            hint=(f"did you mean {close!r}? " if close else "")
            + "nexus ai agent list  # shows the deployed agents",
        )

    def env(self, name: str, env: str | None) -> str:
        """The explicit env; else the only one deployed; else development."""
        self._fresh()
        deployed = self._envs.get(name, [])
        if env is not None:
            errors.checked(spec.check_env, env)
            if env not in deployed:
                raise not_deployed_error(name, env, deployed)
            return env
        if len(deployed) == 1:
            return deployed[0]
        if spec.DEFAULT_ENV in deployed:
            return spec.DEFAULT_ENV
        raise errors.usage(
            f"{name} is deployed to several environments: {', '.join(deployed)}",
            hint="pick one with --env (or ?env= on the API)",
        )

    def isolated(self, name: str, env: str) -> bool:
        """Each session of this deployment gets a replica of its own (sessions.py)."""
        self._fresh()
        return (name, env) in self._isolated

    def label(self, name: str, revision: int) -> str | None:
        """The version label of a revision (read once, then kept until the next change)."""
        self._fresh()
        key = (name, revision)
        if key not in self._labels:
            version = self.store.version(name, revision)
            self._labels[key] = version.label if version else None
        return self._labels[key]
