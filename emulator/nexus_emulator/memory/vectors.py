"""Vector search of memory records: embeddings through the gateway, scored with numpy.

An agent turns it on (``PUT …/memory/…/vectors``). From then on each record put is
embedded through the gateway's embedding model as the agent (quotas and audit apply,
the subject is ``memory:embed``), its vector kept as a float32 BLOB in
``memory_vectors`` (migration 17; a record's delete or new text drops it by trigger).
Records written before are embedded in the background, 64 at a time.

Search keeps every vector of an agent in memory (``index.py``: a float32 matrix and
its int8 copy, scanned first, with an exact float32 re-rank of the rows that can be
among the best): cosine similarity, as the vectors are unit length. The matrix is
loaded from SQLite at the agent's first search after a start,
in a worker thread on a connection of its own (``ready``): one load per agent at a
time, the searches that come meanwhile wait for it, and the event loop keeps serving
every other request (4.5 s at 100,000 vectors on a loaded machine). Records put or
dropped during a load are applied to the loaded matrix before it is used. The
scoring of a search runs in a worker thread too (numpy and simsimd release the GIL).
numpy was chosen over sqlite-vec by measurement (bench/memory_vectors.py,
bench/README.md): at 100,000 vectors it answered in a tenth of vec0's time, and
sqlite-vec would also need a second SQLite library (this Python's sqlite3 loads no
extension); simsimd's int8 dot product then cut the scan's CPU time by four. OpenBLAS
runs one thread here: on a busy machine its thread pool made a product slower.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nexus_emulator import errors
from nexus_emulator.errors import ApiError
from nexus_emulator.memory.index import INF, Index, load_numpy

if TYPE_CHECKING:
    from nexus_emulator.gateway.service import Gateway

log = logging.getLogger("nexus_emulator.memory")
BATCH = 64  # records read (and embedded when they have no vector) per step of a backfill


def _read(conn: sqlite3.Connection, agent: str) -> Index:
    """The agent's vectors from the state database, as one matrix."""
    from nexus_emulator.gateway.offline import DIMENSIONS

    rows = conn.execute(
        "SELECT v.rid, v.vec, r.namespace, r.expires_at FROM memory_vectors v "
        "JOIN memory_records r ON r.rid = v.rid WHERE v.agent=?",
        (agent,),
    ).fetchall()
    size = len(rows[0][1]) if rows else 4 * DIMENSIONS  # one model's vectors, one length
    index = Index(size // 4)
    index.load([r for r in rows if len(r[1]) == size])
    return index


def _loaded(index: Index, agent: str, started: float) -> None:
    log.info("loaded %d vectors of %s in %.2f s", index.n, agent, time.perf_counter() - started)


def _read_file(path: str, agent: str) -> Index:
    """``_read`` on a read-only connection of this (worker) thread's own."""
    conn = sqlite3.connect(Path(path).as_uri() + "?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA busy_timeout=5000")
        return _read(conn, agent)
    finally:
        conn.close()


class Vectors:
    def __init__(self, conn: sqlite3.Connection, gateway: Gateway) -> None:
        from nexus_emulator.memory.embedding import Embedder

        self.conn = conn
        self.gateway = gateway
        self.embedder = Embedder(conn, gateway)
        self._on: dict[str, bool] = {}
        self._indexes: dict[str, Index] = {}
        self._filling: dict[str, asyncio.Task[None]] = {}
        self._loading: dict[str, asyncio.Task[Index]] = {}
        # changes made while an agent's matrix loads, applied to it once loaded
        self._pending: dict[str, list[Callable[[Index], None]]] = {}

    # ------------------------------------------------------------ the switch

    def enabled(self, agent: str) -> bool:
        on = self._on.get(agent)
        if on is None:
            row = self.conn.execute(
                "SELECT vectors FROM memory_settings WHERE agent=?", (agent,)
            ).fetchone()
            on = self._on[agent] = bool(row and row[0])
        return on

    def set_enabled(
        self, agent: str, on: bool, retention_days: float, model: str | None = None
    ) -> None:
        """Vector search on or off; ``model`` names the gateway model that embeds the
        records from now on (a change drops the vectors of the one before)."""
        if model is not None and self.embedder.choose(agent, model, retention_days):
            self.forget(agent)
            with self.conn:
                self.conn.execute("DELETE FROM memory_vectors WHERE agent=?", (agent,))
        with self.conn:
            self.conn.execute(
                "INSERT INTO memory_settings(agent, retention_days, vectors) VALUES (?, ?, ?) "
                "ON CONFLICT(agent) DO UPDATE SET vectors=excluded.vectors",
                (agent, retention_days, int(on)),
            )
        self._on[agent] = on
        if on:
            self.fill_later(agent)
        else:
            self.forget(agent)
            with self.conn:
                self.conn.execute("DELETE FROM memory_vectors WHERE agent=?", (agent,))

    def counts(self, agent: str) -> tuple[int, int]:
        """(live records with a vector, live records)."""
        row = self.conn.execute(
            "SELECT COUNT(v.rid), COUNT(*) FROM memory_records r "
            "LEFT JOIN memory_vectors v ON v.rid = r.rid "
            "WHERE r.agent=? AND (r.expires_at IS NULL OR r.expires_at > ?)",
            (agent, time.time()),
        ).fetchone()
        return int(row[0]), int(row[1])

    def model_name(self, agent: str) -> str:
        """The embedding model's name (the one the settings name when it is gone)."""
        try:
            return self.embedder.model(agent).id
        except ApiError:
            return str(self.embedder.chosen(agent))

    def dropped(self, agent: str, rid: int) -> None:
        self._change(agent, lambda index: index.drop(rid))

    def _change(self, agent: str, change: Callable[[Index], None]) -> None:
        """``change`` applied to the agent's matrix now, or once loaded if it is loading."""
        index = self._indexes.get(agent)
        if index is not None:
            change(index)
        elif agent in self._loading:
            self._pending.setdefault(agent, []).append(change)

    def forget(self, agent: str | None = None) -> None:
        """Drop the cached matrices (of one agent, or all): reloaded at the next search.
        A load under way is not used (its searches load again)."""
        agents = list(self._indexes) + list(self._loading) if agent is None else [agent]
        for name in agents:
            self._indexes.pop(name, None)
            self._loading.pop(name, None)
            self._pending.pop(name, None)
        if agent is None:
            self._on.clear()
            self.embedder.forget()

    # ------------------------------------------------------------ embedding

    def after_put(
        self, agent: str, rid: int, text: str, namespace: str, expires: float | None
    ) -> None:
        """Embed a record just written (when the agent has vectors on)."""
        if not self.enabled(agent):
            return
        have = self.conn.execute("SELECT 1 FROM memory_vectors WHERE rid=?", (rid,)).fetchone()
        if have is not None:  # same text: only its namespace or expiry may have changed

            def expiry(index: Index) -> None:
                if rid in index.row_of:
                    index.expires[index.row_of[rid]] = INF if expires is None else expires

            self._change(agent, expiry)
            return
        try:
            if self.embedder.model(agent).route is not None:  # an upstream's: not in this call
                self.fill_later(agent)
                return
            [vec] = self.embedder.embed(agent, [text], "embed")
        except ApiError as exc:  # the record stays, found by its words only
            log.warning("record %s of %s has no vector: %s", rid, agent, exc.message)
            return
        self._store(agent, [(rid, vec)])
        self._change(agent, lambda index: index.set(rid, vec, namespace, expires))

    def _store(self, agent: str, rows: list[tuple[int, bytes]]) -> None:
        model = self.model_name(agent)
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO memory_vectors(rid, agent, model, vec) VALUES (?,?,?,?)",
                [(rid, agent, model, vec) for rid, vec in rows],
            )

    def _unembedded(self, agent: str, after: int) -> tuple[list[Any], int]:
        """Up to BATCH live records of the agent after record id ``after``: those without
        a vector, and the last record id seen (0: none left)."""
        rows = self.conn.execute(
            "SELECT r.rid, r.text, r.namespace, r.expires_at, EXISTS "
            "(SELECT 1 FROM memory_vectors v WHERE v.rid = r.rid) FROM memory_records r "
            "WHERE r.rid > ? AND +r.agent=? AND (r.expires_at IS NULL OR r.expires_at > ?) "
            "ORDER BY r.rid LIMIT ?",
            (after, agent, time.time(), BATCH),
        ).fetchall()
        if not rows or not self.enabled(agent):
            return [], 0
        return [r for r in rows if not r[4]], int(rows[-1][0])

    def _add(self, agent: str, missing: list[Any], vecs: list[bytes]) -> None:
        self._store(agent, [(r[0], v) for r, v in zip(missing, vecs, strict=True)])

        def add(index: Index) -> None:
            for r, v in zip(missing, vecs, strict=True):
                index.set(r[0], v, r[2], r[3])

        self._change(agent, add)

    def fill_step(self, agent: str, after: int = 0) -> int:
        """Embed (offline model) up to BATCH records without a vector after record id
        ``after``; the last record id seen (0: none left)."""
        missing, last = self._unembedded(agent, after)
        if missing:
            self._add(agent, missing, self.embedder.embed(agent, [r[1] for r in missing], "embed"))
        return last

    async def fill_step_async(self, agent: str, after: int = 0) -> int:
        """``fill_step`` with the agent's model, an upstream's too."""
        missing, last = self._unembedded(agent, after)
        if missing:
            texts = [r[1] for r in missing]
            vecs = await self.embedder.embed_async(agent, texts, "embed")
            if self.enabled(agent):  # not turned off meanwhile
                self._add(agent, missing, vecs)
        return last

    def fill_later(self, agent: str) -> None:
        """Embed the agent's records that have no vector, in the background (the event
        loop gets a turn after every BATCH records)."""
        if agent in self._filling:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a script): now, offline model only
            try:
                if self.embedder.model(agent).route is None:
                    after = self.fill_step(agent)
                    while after:
                        after = self.fill_step(agent, after)
            except ApiError as exc:
                log.warning("the records of %s are not all embedded: %s", agent, exc.message)
            return
        self._filling[agent] = loop.create_task(self._fill(agent))

    async def _fill(self, agent: str) -> None:
        try:
            after = await self.fill_step_async(agent)
            while after:
                await asyncio.sleep(0)
                after = await self.fill_step_async(agent, after)
        except ApiError as exc:  # the records stay, found by their words only
            log.warning("the records of %s are not all embedded: %s", agent, exc.message)
        except Exception:
            log.exception("embedding the records of %s failed", agent)
        finally:
            self._filling.pop(agent, None)

    async def close(self) -> None:
        tasks = [*self._filling.values(), *self._loading.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ------------------------------------------------------------ search

    def index(self, agent: str) -> Index:
        """The agent's matrix, loaded here and now when it is not yet (scripts, bench)."""
        index = self._indexes.get(agent)
        if index is None:
            started = time.perf_counter()
            log.info("loading the vectors of %s", agent)
            index = self._indexes[agent] = _read(self.conn, agent)
            _loaded(index, agent, started)
            self.fill_later(agent)  # what a stop cut short
        return index

    async def ready(self, agent: str) -> Index:
        """The agent's matrix, loaded in a worker thread when it is not yet; a search
        that comes during a load waits for that same load."""
        index = self._indexes.get(agent)
        if index is not None:
            return index
        task = self._loading.get(agent)
        if task is None:
            task = self._loading[agent] = asyncio.get_running_loop().create_task(self._load(agent))
        return await asyncio.shield(task)

    async def _load(self, agent: str) -> Index:
        path = self.conn.execute("PRAGMA database_list").fetchone()[2]
        started = time.perf_counter()
        log.info("loading the vectors of %s", agent)
        try:
            index = await asyncio.to_thread(_read_file, path, agent)
        except BaseException:
            if self._loading.get(agent) is asyncio.current_task():
                self._loading.pop(agent, None)
                self._pending.pop(agent, None)
            raise
        _loaded(index, agent, started)
        if self._loading.get(agent) is not asyncio.current_task():  # forgotten meanwhile
            return index
        for change in self._pending.pop(agent, []):
            change(index)
        del self._loading[agent]
        self._indexes[agent] = index
        self.fill_later(agent)  # what a stop cut short
        return index

    def _check(self, agent: str) -> None:
        if not self.enabled(agent):
            raise errors.ApiError(  # 409: the agent's settings, not the request, say no
                409,
                errors.ErrorCode.USAGE,
                f"vector search is off for {agent}",
                hint=f"nexus ai agent memory settings {agent} --vectors on",
            )

    def query(self, agent: str, text: str) -> Any:
        self._check(agent)
        [vec] = self.embedder.embed(agent, [text], "search")
        return load_numpy().frombuffer(vec, dtype=load_numpy().float32)

    async def query_async(self, agent: str, text: str) -> Any:
        self._check(agent)
        [vec] = await self.embedder.embed_async(agent, [text], "search")
        return load_numpy().frombuffer(vec, dtype=load_numpy().float32)
