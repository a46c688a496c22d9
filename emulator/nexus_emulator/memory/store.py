"""Memory in the state database (migration 12).

Short-term: ``memory_events`` rows per (agent, actor, session), a turn (role and
text) or a JSON payload, in the order written. Events older than the agent's
retention (``memory_settings``, default 30 days) are neither read nor kept: each
append of an agent deletes its expired events (at most once a minute).

Long-term: ``memory_records`` keyed by (agent, namespace, key), indexed by the
FTS5 table ``memory_fts`` (kept by triggers). A search ranks with FTS5's BM25 and
reports ``score = -bm25`` (higher is better); records past ``expires_at`` are
neither found nor read, and an expired record is deleted when a put meets it.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from typing import TYPE_CHECKING, Any

from nexus_api.memory import Event, Record, SearchHit, SearchIn, SessionInfo, Strategies
from nexus_emulator import errors
from nexus_emulator.memory import rules
from nexus_emulator.memory.rules import EVERYONE, Reach
from nexus_emulator.memory.search import record_of, search, search_async, under, within

if TYPE_CHECKING:
    from nexus_emulator.memory.extract import Extractor
    from nexus_emulator.memory.vectors import Vectors

DEFAULT_RETENTION_DAYS = 30.0
SWEEP_EVERY = 60.0  # seconds between two deletions of an agent's expired events
DAY = 86400.0


class Memory:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._swept: dict[str, float] = {}
        self.extractor: Extractor | None = None  # runs the agents' strategies after appends
        self.vectors: Vectors | None = None  # embeds records of agents with vectors on

    # ------------------------------------------------------------ retention

    def retention_days(self, agent: str) -> float:
        row = self.conn.execute(
            "SELECT retention_days FROM memory_settings WHERE agent=?", (agent,)
        ).fetchone()
        return float(row[0]) if row else DEFAULT_RETENTION_DAYS

    def set_retention(self, agent: str, days: float) -> float:
        if not days > 0:
            raise errors.usage(f"retention_days must be above 0, not {days}")
        with self.conn:
            self.conn.execute(
                "INSERT INTO memory_settings(agent, retention_days) VALUES (?, ?) "
                "ON CONFLICT(agent) DO UPDATE SET retention_days=excluded.retention_days",
                (agent, days),
            )
        self._swept.pop(agent, None)
        return days

    def strategies(self, agent: str) -> list[str]:
        return self.extraction(agent).strategies

    def extraction(self, agent: str) -> Strategies:
        row = self.conn.execute(
            "SELECT strategies FROM memory_settings WHERE agent=?", (agent,)
        ).fetchone()
        saved = json.loads(row[0]) if row and row[0] else {}
        if isinstance(saved, list):  # as first written: the names only
            saved = {"strategies": saved}
        return Strategies.model_validate(saved or {"strategies": []})

    def set_strategies(self, agent: str, chosen: Strategies) -> Strategies:
        from nexus_emulator.memory.extract import STRATEGIES

        unknown = [s for s in chosen.strategies if s not in STRATEGIES]
        if unknown:
            raise errors.usage(
                f"unknown extraction strategy {unknown[0]!r}",
                hint=f"strategies: {', '.join(STRATEGIES)}",
            )
        prompt = (chosen.custom_prompt or "").strip() or None
        if ("custom" in chosen.strategies) != (prompt is not None):
            raise errors.usage(
                "the custom strategy and a custom_prompt go together",
                hint='e.g. {"strategies": ["custom"], "custom_prompt": "List the goals:"}',
            )
        if prompt is not None:
            rules.size("the custom prompt", prompt)
        saved = Strategies(
            strategies=[s for s in STRATEGIES if s in chosen.strategies], custom_prompt=prompt
        )
        with self.conn:
            self.conn.execute(
                "INSERT INTO memory_settings(agent, retention_days, strategies) VALUES (?, ?, ?) "
                "ON CONFLICT(agent) DO UPDATE SET strategies=excluded.strategies",
                (agent, DEFAULT_RETENTION_DAYS, saved.model_dump_json()),
            )
        return saved

    def _cutoff(self, agent: str) -> float:
        return time.time() - self.retention_days(agent) * DAY

    def _sweep(self, agent: str, now: float) -> None:
        if now - self._swept.get(agent, 0.0) < SWEEP_EVERY:
            return
        self._swept[agent] = now
        self.conn.execute(
            "DELETE FROM memory_events WHERE agent=? AND at < ?", (agent, self._cutoff(agent))
        )

    # ------------------------------------------------------------ short-term

    def append(
        self, agent: str, actor: str, session: str, events: list[dict[str, Any]]
    ) -> list[Event]:
        rules.name("actor", actor)
        rules.name("session", session)
        if not events:
            raise errors.usage("no events to add", hint='send {"events": [{"role", "text"}]}')
        if len(events) > rules.MAX_EVENTS:
            raise errors.usage(f"{len(events)} events in one call, over {rules.MAX_EVENTS}")
        rows = [_event_row(i, e) for i, e in enumerate(events)]
        now = time.time()
        out: list[Event] = []
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self._sweep(agent, now)
            for role, text, payload in rows:
                cur = self.conn.execute(
                    "INSERT INTO memory_events(agent, actor, session, at, role, text, payload) "
                    "VALUES (?,?,?,?,?,?,?)",
                    (agent, actor, session, now, role, text, payload),
                )
                out.append(_event(cur.lastrowid or 0, actor, session, now, role, text, payload))
        return out

    def sessions(self, agent: str, actor: str | None = None) -> list[SessionInfo]:
        sql = (
            "SELECT actor, session, COUNT(*), MIN(at), MAX(at) FROM memory_events "
            "WHERE agent=? AND at >= ?"
        )
        args: list[Any] = [agent, self._cutoff(agent)]
        if actor is not None:
            sql += " AND actor=?"
            args.append(actor)
        sql += " GROUP BY actor, session ORDER BY MAX(at) DESC"
        return [
            SessionInfo(actor=r[0], session=r[1], events=r[2], first_at=r[3], last_at=r[4])
            for r in self.conn.execute(sql, args)
        ]

    def events(
        self, agent: str, actor: str, session: str, last: int | None = None, turns: bool = False
    ) -> list[Event]:
        """A session's events oldest first; ``last``: only the newest that many."""
        where = "agent=? AND actor=? AND session=? AND at >= ?"
        args: list[Any] = [agent, actor, session, self._cutoff(agent)]
        if turns:
            where += " AND role IS NOT NULL"
        if last is not None:
            if last < 1:
                raise errors.usage(f"last must be a positive number, not {last}")
            sql = f"SELECT * FROM memory_events WHERE {where} ORDER BY id DESC LIMIT ?"
            rows = list(self.conn.execute(sql, [*args, last]))[::-1]
        else:
            sql = f"SELECT * FROM memory_events WHERE {where} ORDER BY id"
            rows = list(self.conn.execute(sql, args))
        if not rows and not self._has_session(agent, actor, session):
            raise _no_session(actor, session)
        return [
            _event(r["id"], actor, session, r["at"], r["role"], r["text"], r["payload"])
            for r in rows
        ]

    def branch(self, agent: str, actor: str, session: str, upto: int, into: str) -> list[Event]:
        """A new session ``into`` that starts with ``session``'s events up to event
        ``upto`` (included): a conversation continued differently from that point."""
        rules.name("session", into)
        if self._has_session(agent, actor, into):
            raise errors.ApiError(
                409,
                errors.ErrorCode.USAGE,
                f"session {into!r} exists already",
                hint="branch into a new session id",
            )
        events = [e for e in self.events(agent, actor, session) if e.id <= upto]
        if not events or events[-1].id != upto:
            raise errors.not_found(
                f"no event {upto} in session {session!r}",
                hint=f"nexus ai agent memory show AGENT {session}  # lists its events",
            )
        out: list[Event] = []
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            for e in events:
                blob = None if e.payload is None else json.dumps(e.payload)
                cur = self.conn.execute(
                    "INSERT INTO memory_events(agent, actor, session, at, role, text, payload) "
                    "VALUES (?,?,?,?,?,?,?)",
                    (agent, actor, into, e.at, e.role, e.text, blob),
                )
                out.append(_event(cur.lastrowid or 0, actor, into, e.at, e.role, e.text, blob))
        return out

    def delete_session(self, agent: str, actor: str, session: str) -> int:
        with self.conn:
            n = self.conn.execute(
                "DELETE FROM memory_events WHERE agent=? AND actor=? AND session=?",
                (agent, actor, session),
            ).rowcount
        if not n:
            raise _no_session(actor, session)
        return n

    def delete_actor(self, agent: str, actor: str) -> tuple[int, int]:
        """Every event of an actor, and the records under ``/users/ACTOR``."""
        rules.name("actor", actor)
        with self.conn:
            events = self.conn.execute(
                "DELETE FROM memory_events WHERE agent=? AND actor=?", (agent, actor)
            ).rowcount
            records = self.conn.execute(
                "DELETE FROM memory_records WHERE agent=? AND (namespace=? OR namespace LIKE ?)",
                (agent, f"/users/{actor}", f"/users/{actor}/%"),
            ).rowcount
        if self.vectors is not None and records:
            self.vectors.forget(agent)
        return events, records

    def _has_session(self, agent: str, actor: str, session: str) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM memory_events WHERE agent=? AND actor=? AND session=? "
                "AND at >= ? LIMIT 1",
                (agent, actor, session, self._cutoff(agent)),
            ).fetchone()
            is not None
        )

    # ------------------------------------------------------------ long-term

    def put(
        self,
        agent: str,
        namespace: str,
        text: str,
        key: str | None = None,
        data: Any = None,
        ttl: float | None = None,
    ) -> Record:
        if not text.strip():
            raise errors.usage("a record needs a text", hint="the text is what search finds")
        rules.size("the record's text", text)
        key = rules.name("record key", key) if key is not None else uuid.uuid4().hex[:16]
        blob = None if data is None else json.dumps(data)
        if blob is not None:
            rules.size("the record's data", blob)
        if ttl is not None and not ttl > 0:
            raise errors.usage(f"ttl_seconds must be above 0, not {ttl}")
        now = time.time()
        expires = now + ttl if ttl is not None else None
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "DELETE FROM memory_records WHERE agent=? AND namespace=? AND key=? "
                "AND expires_at IS NOT NULL AND expires_at <= ?",
                (agent, namespace, key, now),
            )
            self.conn.execute(
                "INSERT INTO memory_records(agent, namespace, key, text, data, created_at, "
                "updated_at, expires_at) VALUES (?,?,?,?,?,?,?,?) "
                "ON CONFLICT(agent, namespace, key) DO UPDATE SET text=excluded.text, "
                "data=excluded.data, updated_at=excluded.updated_at, "
                "expires_at=excluded.expires_at",
                (agent, namespace, key, text, blob, now, now, expires),
            )
        row = self.conn.execute(  # as written, even when its ttl is over already
            "SELECT * FROM memory_records WHERE agent=? AND namespace=? AND key=?",
            (agent, namespace, key),
        ).fetchone()
        record = record_of(row)
        if self.vectors is not None:
            rid = int(record.id)
            self.vectors.after_put(agent, rid, text, namespace, record.expires_at)
        return record

    def get(self, agent: str, record_id: str) -> Record:
        record = self._record_where("rid=?", (agent, _rid(record_id)))
        if record is None:
            raise no_record(record_id)
        return record

    def find(self, agent: str, namespace: str, key: str) -> Record | None:
        """The live record of that namespace and key, if any."""
        return self._record_where("namespace=? AND key=?", (agent, namespace, key))

    def delete(self, agent: str, record_id: str) -> None:
        with self.conn:
            n = self.conn.execute(
                "DELETE FROM memory_records WHERE agent=? AND rid=?", (agent, _rid(record_id))
            ).rowcount
        if not n:
            raise no_record(record_id)
        if self.vectors is not None:
            self.vectors.dropped(agent, _rid(record_id))

    def records(
        self,
        agent: str,
        namespace: str | None = None,
        limit: int = 100,
        key: str | None = None,
        reach: Reach = EVERYONE,
    ) -> list[Record]:
        seen, seen_args = reach.sql("namespace")
        sql = (
            "SELECT * FROM memory_records WHERE agent=? AND (expires_at IS NULL OR expires_at > ?)"
            + seen
        )
        args: list[Any] = [agent, time.time(), *seen_args]
        if namespace is not None:
            sql, args = sql + within("namespace"), [*args, *under(namespace)]
        if key is not None:
            sql += " AND key=?"
            args.append(key)
        sql += " ORDER BY updated_at DESC LIMIT ?"
        return [record_of(r) for r in self.conn.execute(sql, [*args, limit])]

    def search(self, agent: str, asked: SearchIn, reach: Reach = EVERYONE) -> list[SearchHit]:
        """Records by text, meaning or both (``search.py``), best first."""
        return search(self.conn, self.vectors, agent, asked, reach)

    async def search_async(
        self, agent: str, asked: SearchIn, reach: Reach = EVERYONE
    ) -> list[SearchHit]:
        """``search`` without holding the event loop for a matrix load or the scoring."""
        return await search_async(self.conn, self.vectors, agent, asked, reach)

    def _record_where(self, where: str, args: tuple[Any, ...]) -> Record | None:
        row = self.conn.execute(
            f"SELECT * FROM memory_records WHERE agent=? AND {where} "
            "AND (expires_at IS NULL OR expires_at > ?)",
            (*args, time.time()),
        ).fetchone()
        return record_of(row) if row else None


def _event_row(i: int, e: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    role, text, payload = e.get("role"), e.get("text"), e.get("payload")
    if payload is not None:
        if role is not None or text is not None:
            raise errors.usage(f"events[{i}] is a turn (role, text) or a payload, not both")
        blob = json.dumps(payload)
        rules.size(f"events[{i}].payload", blob)
        return None, None, blob
    if not isinstance(role, str) or role not in rules.ROLES or not isinstance(text, str):
        raise errors.usage(
            f"events[{i}] needs a role ({', '.join(sorted(rules.ROLES))}) and a text, or a payload",
            hint='e.g. {"role": "user", "text": "hello"} or {"payload": {...}}',
        )
    rules.size(f"events[{i}].text", text)
    return role, text, None


def _event(
    id: int,
    actor: str,
    session: str,
    at: float,
    role: str | None,
    text: str | None,
    blob: str | None,
) -> Event:
    payload = json.loads(blob) if blob is not None else None
    return Event(id=id, actor=actor, session=session, at=at, role=role, text=text, payload=payload)


def _rid(record_id: str) -> int:
    if not record_id.isdigit():
        raise no_record(record_id)
    return int(record_id)


def _no_session(actor: str, session: str) -> errors.ApiError:
    return errors.not_found(
        f"no session {session!r} for actor {actor!r}",
        hint="nexus ai agent memory sessions AGENT  # lists the sessions",
    )


def no_record(record_id: str) -> errors.ApiError:
    return errors.not_found(
        f"no record {record_id!r}", hint="nexus ai agent memory records AGENT  # lists them"
    )
