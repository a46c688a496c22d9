"""The gateway's routed models: a name agents call, mapped to an upstream provider and
model. ``gateway_models`` holds the routes for every agent (``nexus ai gateway model
add``); ``gateway_agent_models`` the models an agent declares for itself in its
nexus.toml's ``[gateway]`` table, replaced as a whole on each of its deploys: only
that agent calls them, and they come before a route of the same name. Read once,
then kept until a change."""

from __future__ import annotations

import sqlite3
import time

from nexus_api.gateway import ModelRoute
from nexus_emulator.gateway import offline

BUILT_IN = (offline.CHAT_MODEL, offline.EMBED_MODEL)


class UnknownFallback(ValueError):
    """A route's fallback is no other model here (the API answers 404)."""


class Catalog:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._routes: dict[str, ModelRoute] | None = None
        self._own: dict[str, dict[str, ModelRoute]] = {}  # agent -> its declared models

    def routes(self) -> list[ModelRoute]:
        if self._routes is None:
            rows = self.conn.execute("SELECT route FROM gateway_models ORDER BY name")
            self._routes = {
                r.name: r for r in (ModelRoute.model_validate_json(row[0]) for row in rows)
            }
        return list(self._routes.values())

    def own(self, agent: str) -> dict[str, ModelRoute]:
        """The models ``agent`` declared for itself, by name."""
        if agent not in self._own:
            rows = self.conn.execute(
                "SELECT route FROM gateway_agent_models WHERE agent=? ORDER BY name", (agent,)
            )
            routes = (ModelRoute.model_validate_json(row[0]) for row in rows)
            self._own[agent] = {r.name: r for r in routes}
        return self._own[agent]

    def declared(self) -> list[tuple[str, ModelRoute]]:
        """Every agent's own models: (agent, route)."""
        rows = self.conn.execute(
            "SELECT agent, route FROM gateway_agent_models ORDER BY agent, name"
        ).fetchall()
        return [(agent, ModelRoute.model_validate_json(route)) for agent, route in rows]

    def check(self, route: ModelRoute, known: set[str]) -> None:
        """ValueError when a route shadows a built-in model or its fallback is not one of
        ``known`` (or is itself)."""
        if route.name in BUILT_IN:
            raise ValueError(f"{route.name} is a built-in model")
        if route.fallback is not None and (
            route.fallback == route.name or route.fallback not in known
        ):
            raise UnknownFallback(f"fallback {route.fallback!r} must be another model here")

    def add(self, route: ModelRoute) -> ModelRoute:
        """Add or replace a route for every agent (ValueError: see ``check``)."""
        self.check(route, {*BUILT_IN, *(r.name for r in self.routes())})
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "INSERT OR REPLACE INTO gateway_models VALUES (?, ?, ?)",
                (route.name, route.model_dump_json(), time.time()),
            )
        self._routes = None
        return route

    def check_declared(self, routes: list[ModelRoute]) -> None:
        """ValueError when an agent's declared models repeat a name or one is wrong."""
        names = [r.name for r in routes]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"[gateway.models] names {', '.join(twice)} more than once")
        known = {*BUILT_IN, *(r.name for r in self.routes()), *names}
        for route in routes:
            try:
                self.check(route, known)
            except ValueError as exc:  # keeps its kind: a fallback to no model is not found
                raise type(exc)(f"[gateway.models.{route.name}]: {exc}") from None

    def declare(self, agent: str, routes: list[ModelRoute]) -> None:
        """Make ``routes`` the agent's own models, in place of those it had."""
        now = time.time()
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("DELETE FROM gateway_agent_models WHERE agent=?", (agent,))
            self.conn.executemany(
                "INSERT INTO gateway_agent_models VALUES (?, ?, ?, ?)",
                [(agent, r.name, r.model_dump_json(), now) for r in routes],
            )
        self._own.pop(agent, None)

    def remove(self, name: str) -> bool:
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            gone = self.conn.execute("DELETE FROM gateway_models WHERE name=?", (name,)).rowcount
        self._routes = None
        return bool(gone)

    def forget(self) -> None:
        self._routes = None
        self._own.clear()
