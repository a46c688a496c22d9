"""The gateway's routed models (``gateway_models``): a name agents call, mapped to an
upstream provider and model. Read once, then kept until a change."""

from __future__ import annotations

import sqlite3
import time

from nexus_api.gateway import ModelRoute
from nexus_emulator.gateway import offline

BUILT_IN = (offline.CHAT_MODEL, offline.EMBED_MODEL)


class Catalog:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._routes: dict[str, ModelRoute] | None = None

    def routes(self) -> list[ModelRoute]:
        if self._routes is None:
            rows = self.conn.execute("SELECT route FROM gateway_models ORDER BY name")
            self._routes = {
                r.name: r for r in (ModelRoute.model_validate_json(row[0]) for row in rows)
            }
        return list(self._routes.values())

    def add(self, route: ModelRoute) -> ModelRoute:
        """Add or replace a route; ValueError when it shadows a built-in model or its
        fallback is unknown or itself."""
        if route.name in BUILT_IN:
            raise ValueError(f"{route.name} is a built-in model")
        known = {*BUILT_IN, *(r.name for r in self.routes())}
        if route.fallback is not None and (
            route.fallback == route.name or route.fallback not in known
        ):
            raise ValueError(f"fallback {route.fallback!r} must be another model here")
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "INSERT OR REPLACE INTO gateway_models VALUES (?, ?, ?)",
                (route.name, route.model_dump_json(), time.time()),
            )
        self._routes = None
        return route

    def remove(self, name: str) -> bool:
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            gone = self.conn.execute("DELETE FROM gateway_models WHERE name=?", (name,)).rowcount
        self._routes = None
        return bool(gone)

    def forget(self) -> None:
        self._routes = None
