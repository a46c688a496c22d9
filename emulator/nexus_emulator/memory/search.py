"""Search of long-term records: by words (FTS5), by meaning (vectors), or both.

- ``text``: FTS5's BM25 over the query's words (any of them); score ``-bm25``.
- ``vector``: the cosine similarity of the query's embedding and each record's
  (``vectors.py``); score in -1..1.
- ``hybrid``: the candidates of both (the best ``max(4 * top_k, 20)`` of each);
  score ``0.5 * cosine + 0.5 * bm25 / best bm25 among the candidates`` (a record
  the words do not match gets 0 for its half), so a score is at most 1.

The default mode is ``hybrid`` for an agent with vectors on, else ``text``.
``min_score`` applies to the mode's score; every hit also carries its
``text_score`` and ``vector_score`` when it has them.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import time
from typing import TYPE_CHECKING, Any

from nexus_api.memory import Record, SearchHit, SearchIn
from nexus_emulator import errors
from nexus_emulator.memory import rules
from nexus_emulator.memory.rules import EVERYONE, Reach

if TYPE_CHECKING:
    from nexus_emulator.memory.index import Index
    from nexus_emulator.memory.vectors import Vectors

LIVE = "(r.expires_at IS NULL OR r.expires_at > ?)"


def search(
    conn: sqlite3.Connection,
    vectors: Vectors | None,
    agent: str,
    asked: SearchIn,
    reach: Reach = EVERYONE,
) -> list[SearchHit]:
    """``asked``'s query, namespace (and those under it), top_k, min_score and mode,
    among the records ``reach`` sees."""
    words, mode = _asked(vectors, agent, asked)
    if mode == "text" or vectors is None:
        return _by_words(conn, agent, words, asked, reach)
    vec, wanted = vectors.query(agent, asked.query), _wanted(asked.top_k, mode)
    index = _fits(vectors.index(agent), vec, agent)
    near = dict(index.top(vec, wanted, asked.namespace, reach.sees))
    return _by_meaning(conn, index, vec, near, agent, words, asked, mode, reach)


async def search_async(
    conn: sqlite3.Connection,
    vectors: Vectors | None,
    agent: str,
    asked: SearchIn,
    reach: Reach = EVERYONE,
) -> list[SearchHit]:
    """``search`` with the matrix loaded and the vectors scored in worker threads, so
    the event loop keeps serving other requests."""
    words, mode = _asked(vectors, agent, asked)
    if mode == "text" or vectors is None:
        return _by_words(conn, agent, words, asked, reach)
    vec, wanted = await vectors.query_async(agent, asked.query), _wanted(asked.top_k, mode)
    index = _fits(await vectors.ready(agent), vec, agent)
    top = index.top
    near = dict(await asyncio.to_thread(top, vec, wanted, asked.namespace, reach.sees))
    return _by_meaning(conn, index, vec, near, agent, words, asked, mode, reach)


def _fits(index: Index, vec: Any, agent: str) -> Index:
    """The index, when the query's vector has its length (or it has no row yet)."""
    if index.n and vec.size != index.dims:
        raise errors.ApiError(
            409,
            errors.ErrorCode.USAGE,
            f"the query has {vec.size} dimensions and the vectors of {agent} {index.dims}: "
            "they come from another embedding model",
            hint=f"nexus ai agent memory settings {agent} --embedding-model NAME  # embeds "
            "them all again",
        )
    return index


def _asked(vectors: Vectors | None, agent: str, asked: SearchIn) -> tuple[list[str], str]:
    """The query's words and the mode, checked."""
    words = re.findall(r"\w+", asked.query.lower())
    if not words:
        raise errors.usage(
            "the search query is empty", hint="search with some words, e.g. 'favourite colour'"
        )
    rules.top_k(asked.top_k)
    on = vectors is not None and vectors.enabled(agent)
    mode = asked.mode or ("hybrid" if on else "text")
    if mode != "text" and vectors is None:
        raise errors.usage("vector search is not available here")
    return words, mode


def _wanted(top_k: int, mode: str) -> int:
    """How many nearest vectors to take: a few more than top_k (a record may be gone),
    or the hybrid's candidates."""
    return max(4 * top_k, 20) if mode == "hybrid" else top_k + 5


def _by_words(
    conn: sqlite3.Connection, agent: str, words: list[str], asked: SearchIn, reach: Reach
) -> list[SearchHit]:
    found = _fts(conn, agent, words, asked.namespace, asked.top_k, asked.min_score, reach)
    return [SearchHit(record=record_of(r), score=s, text_score=s) for r, s in found]


def _by_meaning(
    conn: sqlite3.Connection,
    index: Index,
    vec: Any,
    near: dict[int, float],
    agent: str,
    words: list[str],
    asked: SearchIn,
    mode: str,
    reach: Reach,
) -> list[SearchHit]:
    """The hits of the nearest vectors ``near`` (and, hybrid, of the words)."""
    namespace, top_k, min_score, hybrid = asked.namespace, asked.top_k, asked.min_score, False
    matched = {}
    if mode == "hybrid":
        hybrid, wanted = True, _wanted(top_k, mode)
        found = _fts(conn, agent, words, namespace, wanted, None, reach)
        matched = {r["rid"]: (r, s) for r, s in found}
        near.update(index.cosines(vec, [rid for rid in matched if rid not in near]))
    rows = {rid: row for rid, (row, _) in matched.items()}
    rows.update(_rows(conn, agent, [rid for rid in near if rid not in rows], reach))
    best = max((s for _, s in matched.values()), default=0.0)
    hits = []
    for rid, row in rows.items():
        cosine = near.get(rid)
        text = matched[rid][1] if rid in matched else None
        score = cosine if cosine is not None else -1.0
        if hybrid:
            score = 0.5 * (cosine or 0.0) + (0.5 * text / best if text and best > 0 else 0.0)
        if min_score is None or score >= min_score:
            hit = SearchHit(
                record=record_of(row), score=score, text_score=text, vector_score=cosine
            )
            hits.append(hit)
    hits.sort(key=lambda h: h.score, reverse=True)
    return hits[:top_k]


def record_of(r: sqlite3.Row) -> Record:
    return Record(
        id=str(r["rid"]),
        namespace=r["namespace"],
        key=r["key"],
        text=r["text"],
        data=json.loads(r["data"]) if r["data"] is not None else None,
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        expires_at=r["expires_at"],
    )


def _fts(
    conn: sqlite3.Connection,
    agent: str,
    words: list[str],
    namespace: str | None,
    limit: int,
    min_score: float | None,
    reach: Reach,
) -> list[tuple[sqlite3.Row, float]]:
    match = " OR ".join(f'"{w}"' for w in words[:64])
    sql = (
        "SELECT r.*, -bm25(memory_fts) AS score FROM memory_fts "
        f"JOIN memory_records r ON r.rid = memory_fts.rowid "
        f"WHERE memory_fts MATCH ? AND r.agent=? AND {LIVE}"
    )
    seen, seen_args = reach.sql("r.namespace")
    sql += seen
    args: list[Any] = [match, agent, time.time(), *seen_args]
    if namespace is not None:
        sql, args = sql + within("r.namespace"), [*args, *under(namespace)]
    if min_score is not None:
        sql += " AND -bm25(memory_fts) >= ?"
        args.append(min_score)
    sql += " ORDER BY score DESC LIMIT ?"
    return [(r, float(r["score"])) for r in conn.execute(sql, [*args, limit])]


def within(column: str) -> str:
    """The SQL of a namespace filter: the namespace and those under it (``under``'s args)."""
    return f" AND ({column}=? OR {column} LIKE ?)"


def under(namespace: str) -> list[str]:
    return [namespace, namespace.rstrip("/") + "/%"]


def _rows(
    conn: sqlite3.Connection, agent: str, rids: list[int], reach: Reach
) -> dict[int, sqlite3.Row]:
    """The live records among ``rids`` (a vector may outlive its record for a moment)."""
    if not rids:
        return {}
    marks = ",".join("?" * len(rids))
    seen, seen_args = reach.sql("r.namespace")
    sql = f"SELECT r.* FROM memory_records r WHERE r.rid IN ({marks}) AND +r.agent=? AND {LIVE}"
    return {r["rid"]: r for r in conn.execute(sql + seen, [*rids, agent, time.time(), *seen_args])}
