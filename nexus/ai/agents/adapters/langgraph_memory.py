"""LangGraph's checkpointer and store, backed by the agent's Nexus memory.

    from nexus.ai.agents.adapters.langgraph_memory import NexusCheckpointer, NexusStore
    graph = builder.compile(checkpointer=NexusCheckpointer(), store=NexusStore())

or, with the adapter, by configuration only: ``nexus_memory = True`` on a
``LangGraphAgent`` compiles (or copies) its graph with both.

- ``NexusCheckpointer``: a thread's checkpoints and pending writes are payload
  events of the memory session named by the ``thread_id`` (the request's session
  under the adapter), for the request's actor, so they survive restarts, show in
  ``nexus ai agent memory show`` and follow the session's retention. Values are
  serialised by LangGraph's own serializer; an entry larger than one event
  (64 KiB) is written as several parts.
- ``NexusStore``: an item is a long-term record: the namespace tuple is the path
  (``("memories", "ann")`` → ``/memories/ann``), the key the record's key, the
  value its ``data``; the record's text is the value's JSON (or the fields named by
  ``index``), so ``search(query=…)`` ranks with the agent's memory search (words,
  or meaning too when its vectors are on). Records written otherwise (the
  extraction strategies') read as ``{"text": …}`` items.

Every call goes to the platform with the replica's workload token: one agent's
checkpoints and items are never another's, and ``/users/<actor>/…`` namespaces are
only the request's actor's. LangGraph is needed (the agent's dependency); the SDK
itself stays standard-library only.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import uuid
from collections.abc import (
    AsyncIterator,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
)
from langgraph.store.base import (
    BaseStore,
    GetOp,
    ListNamespacesOp,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
)

from nexus.ai.memory import AgentMemoryError, current_actor, memory_call, quoted

PART = 40 * 1024  # characters of an entry's JSON per event (events hold up to 64 KiB)
PARTS_PER_CALL = 50
_SESSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:+-]{0,127}$")
Config = Any  # LangGraph's RunnableConfig (a dict)
P = ParamSpec("P")
R = TypeVar("R")


def _threaded(
    method: Callable[Concatenate[Any, P], R],
) -> Callable[Concatenate[Any, P], Coroutine[Any, Any, R]]:
    """The method ``method`` as a coroutine method that runs it in a worker thread."""

    async def run(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await asyncio.to_thread(method, self, *args, **kwargs)

    run.__name__ = "a" + method.__name__
    run.__doc__ = method.__doc__
    return run


def session_of(thread_id: Any) -> str:
    """The memory session of a thread: its id when it is a valid session id, else a digest."""
    text = str(thread_id)
    return text if _SESSION.match(text) else "lg-" + hashlib.sha256(text.encode()).hexdigest()[:40]


class NexusCheckpointer(BaseCheckpointSaver[int]):
    """LangGraph checkpoints in the agent's memory sessions (one session per thread)."""

    def __init__(self, *, actor: str | None = None, serde: Any = None) -> None:
        super().__init__(serde=serde)
        self.actor = actor  # None: the request's actor at each call

    # ------------------------------------------------------------ storage

    def _where(self, thread_id: Any) -> tuple[str, dict[str, str]]:
        path = f"/sessions/{quoted(session_of(thread_id))}"
        return path, {"actor": self.actor or current_actor()}

    def _entries(self, thread_id: Any) -> list[dict[str, Any]]:
        path, who = self._where(thread_id)
        try:
            events = memory_call("GET", path + "/events", query=who)
        except AgentMemoryError as exc:
            if exc.status == 404:
                return []
            raise
        return joined(e.get("payload") for e in events)

    def _append(self, thread_id: Any, entry: dict[str, Any]) -> None:
        path, who = self._where(thread_id)
        parts = [{"payload": p} for p in split(entry)]
        for i in range(0, len(parts), PARTS_PER_CALL):
            body = {**who, "events": parts[i : i + PARTS_PER_CALL]}
            memory_call("POST", path + "/events", body)

    def _typed(self, value: Any) -> list[str]:
        kind, blob = self.serde.dumps_typed(value)
        return [kind, base64.b64encode(blob).decode()]

    def _loads(self, typed: list[str]) -> Any:
        return self.serde.loads_typed((typed[0], base64.b64decode(typed[1])))

    # ------------------------------------------------------------ the saver

    def get_tuple(self, config: Config) -> CheckpointTuple | None:
        conf = config["configurable"]
        entries = self._entries(conf["thread_id"])
        ns = conf.get("checkpoint_ns", "")
        wanted = get_checkpoint_id(config)
        found = [e for e in entries if e["k"] == "cp" and e["ns"] == ns]
        if wanted:
            found = [e for e in found if e["id"] == wanted]
        return self._tuple(conf["thread_id"], found[-1], entries) if found else None

    def _tuple(
        self, thread_id: Any, cp: dict[str, Any], entries: list[dict[str, Any]]
    ) -> CheckpointTuple:
        ns = cp["ns"]
        writes: dict[tuple[str, int], tuple[str, str, Any]] = {}
        for e in entries:
            if e["k"] != "w" or e["ns"] != ns or e["cp"] != cp["id"]:
                continue
            for idx, channel, typed in e["w"]:
                key = (e["task"], idx)
                if idx < 0 or key not in writes:  # special channels: the last write wins
                    writes[key] = (e["task"], channel, self._loads(typed))

        def conf(checkpoint_id: str) -> Config:
            ids = {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint_id}
            return {"configurable": ids}

        return CheckpointTuple(
            config=conf(cp["id"]),
            checkpoint=self._loads(cp["cp"]),
            metadata=self._loads(cp["meta"]),
            parent_config=conf(cp["parent"]) if cp.get("parent") else None,
            pending_writes=list(writes.values()),
        )

    def list(
        self,
        config: Config | None,
        *,
        filter: dict[str, Any] | None = None,
        before: Config | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        if config is not None:
            threads = [config["configurable"]["thread_id"]]
        else:  # every thread of the actor
            who = {"actor": self.actor or current_actor()}
            threads = [s["session"] for s in memory_call("GET", "/sessions", query=who)]
        conf = (config or {}).get("configurable", {})
        before_id = get_checkpoint_id(before) if before else None
        left = limit
        for thread_id in threads:
            entries = self._entries(thread_id)
            for e in reversed(entries):
                if e["k"] != "cp" or ("checkpoint_ns" in conf and e["ns"] != conf["checkpoint_ns"]):
                    continue
                if conf.get("checkpoint_id") and e["id"] != conf["checkpoint_id"]:
                    continue
                if before_id and e["id"] >= before_id:
                    continue
                found = self._tuple(thread_id, e, entries)
                if filter and any(found.metadata.get(k) != v for k, v in filter.items()):
                    continue
                if left is not None:
                    if left <= 0:
                        return
                    left -= 1
                yield found

    def put(
        self,
        config: Config,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> Config:
        conf = config["configurable"]
        ns = conf.get("checkpoint_ns", "")
        meta = {**metadata, **{k: v for k, v in conf.items() if _shown(k, v)}}
        entry = {
            "k": "cp",
            "ns": ns,
            "id": checkpoint["id"],
            "parent": conf.get("checkpoint_id"),
            "cp": self._typed(checkpoint),
            "meta": self._typed(meta),
        }
        self._append(conf["thread_id"], entry)
        ids = {"thread_id": conf["thread_id"], "checkpoint_ns": ns}
        return {"configurable": {**ids, "checkpoint_id": checkpoint["id"]}}

    def put_writes(
        self,
        config: Config,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        conf = config["configurable"]
        entry = {
            "k": "w",
            "ns": conf.get("checkpoint_ns", ""),
            "cp": conf["checkpoint_id"],
            "task": task_id,
            "path": task_path,
            "w": [[WRITES_IDX_MAP.get(c, i), c, self._typed(v)] for i, (c, v) in enumerate(writes)],
        }
        self._append(conf["thread_id"], entry)

    def delete_thread(self, thread_id: str) -> None:
        path, who = self._where(thread_id)
        try:
            memory_call("DELETE", path, query=who)
        except AgentMemoryError as exc:
            if exc.status != 404:
                raise

    # The async API: each method is its sync one, run in a worker thread (the calls block).
    aget_tuple = _threaded(get_tuple)
    aput = _threaded(put)
    aput_writes = _threaded(put_writes)
    adelete_thread = _threaded(delete_thread)

    async def alist(
        self,
        config: Config | None,
        *,
        filter: dict[str, Any] | None = None,
        before: Config | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        def listed() -> list[CheckpointTuple]:
            return list(self.list(config, filter=filter, before=before, limit=limit))

        for found in await asyncio.to_thread(listed):
            yield found


def _shown(key: str, value: Any) -> bool:
    """The run's own configurable values LangGraph keeps in a checkpoint's metadata."""
    return (
        not key.startswith("__")
        and key
        not in (
            "checkpoint_id",
            "checkpoint_ns",
            "thread_id",
        )
        and isinstance(value, str | int | float | bool)
    )


def split(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """An entry as event payloads of at most PART characters of its JSON each."""
    text = json.dumps(entry, separators=(",", ":"))
    uid = uuid.uuid4().hex[:12]
    pieces = [text[i : i + PART] for i in range(0, len(text), PART)] or [""]
    return [{"lg": uid, "i": i, "n": len(pieces), "s": p} for i, p in enumerate(pieces)]


def joined(payloads: Iterable[Any]) -> list[dict[str, Any]]:
    """The entries of a session's payloads, in order (incomplete ones left out)."""
    out: list[dict[str, Any]] = []
    parts: dict[str, list[str]] = {}
    for p in payloads:
        if not (isinstance(p, dict) and isinstance(p.get("lg"), str) and "s" in p):
            continue
        got = parts.setdefault(p["lg"], [])
        got.append(p["s"])
        if len(got) == p["n"]:
            out.append(json.loads("".join(parts.pop(p["lg"]))))
    return out


# ---------------------------------------------------------------- the store


class NexusStore(BaseStore):
    """LangGraph's long-term store over the agent's memory records."""

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        return [self._one(op) for op in ops]

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        return await asyncio.to_thread(self.batch, list(ops))  # ops may be a one-pass iterator

    def _one(self, op: Op) -> Result:
        if isinstance(op, GetOp):
            found = self._exact(op.namespace, op.key)
            return _item(found[0]) if found else None
        if isinstance(op, PutOp):
            self._put(op)
            return None
        if isinstance(op, SearchOp):
            return self._search(op)
        if isinstance(op, ListNamespacesOp):
            return self._namespaces(op)
        raise TypeError(f"unknown store operation {op!r}")

    def _exact(self, namespace: tuple[str, ...], key: str) -> list[dict[str, Any]]:
        path = path_of(namespace)
        query = {"namespace": path, "key": key, "limit": 1000}
        return [r for r in memory_call("GET", "/records", query=query) if r["namespace"] == path]

    def _put(self, op: PutOp) -> None:
        if op.value is None:
            for record in self._exact(op.namespace, op.key):
                memory_call("DELETE", f"/records/{quoted(record['id'])}")
            return
        body = {
            "namespace": path_of(op.namespace),
            "key": op.key,
            "text": text_of(op.value, op.index) or op.key,
            "data": {"value": op.value},
            "ttl_seconds": op.ttl * 60 if op.ttl else None,  # LangGraph's TTLs are minutes
            "actor": current_actor(),
        }
        memory_call("PUT", "/records", body)

    def _search(self, op: SearchOp) -> list[SearchItem]:
        namespace = path_of(op.namespace_prefix) if op.namespace_prefix else None
        if op.query:
            top_k = max(1, min(100, op.limit + op.offset))
            body = {"query": op.query, "namespace": namespace, "top_k": top_k}
            body["actor"] = current_actor()
            found = [(h["record"], h["score"]) for h in memory_call("POST", "/search", body)]
        else:
            query: dict[str, Any] = {"limit": 1000}
            if namespace:
                query["namespace"] = namespace
            found = [(r, None) for r in memory_call("GET", "/records", query=query)]
        items = [_item(r, score) for r, score in found]
        if op.filter:
            items = [i for i in items if all(i.value.get(k) == v for k, v in op.filter.items())]
        return items[op.offset : op.offset + op.limit]

    def _namespaces(self, op: ListNamespacesOp) -> list[tuple[str, ...]]:
        records = memory_call("GET", "/records", query={"limit": 1000})
        spaces = {tuple(r["namespace"].strip("/").split("/")) for r in records}
        for cond in op.match_conditions or ():
            spaces = {s for s in spaces if _matches(s, cond.match_type, tuple(cond.path))}
        if op.max_depth is not None:
            spaces = {s[: op.max_depth] for s in spaces}
        return sorted(spaces)[op.offset : op.offset + op.limit]


def path_of(namespace: tuple[str, ...]) -> str:
    return "/" + "/".join(namespace)


def text_of(value: Mapping[str, Any], index: Any) -> str:
    """What search reads of a value: the fields ``index`` names (dotted paths), else
    the whole value's JSON."""
    if isinstance(index, list) and index:
        texts = []
        for field in index:
            v: Any = value
            for part in str(field).split("."):
                v = v.get(part) if isinstance(v, dict) else None
            if v is not None:
                texts.append(v if isinstance(v, str) else json.dumps(v))
        return " ".join(texts)
    return json.dumps(value, ensure_ascii=False)


def _item(record: dict[str, Any], score: float | None = None) -> SearchItem:
    data = record.get("data")
    value = (
        data["value"]
        if isinstance(data, dict) and isinstance(data.get("value"), dict)
        else {
            "text": record["text"],
            **({"data": data} if data is not None else {}),
        }
    )
    return SearchItem(
        namespace=tuple(record["namespace"].strip("/").split("/")),
        key=record["key"],
        value=value,
        created_at=datetime.fromtimestamp(record["created_at"], tz=UTC),
        updated_at=datetime.fromtimestamp(record["updated_at"], tz=UTC),
        score=score,
    )


def _matches(space: tuple[str, ...], kind: str, path: tuple[str, ...]) -> bool:
    if len(space) < len(path):
        return False
    part = space[: len(path)] if kind == "prefix" else space[len(space) - len(path) :]
    return all(p == "*" or p == s for p, s in zip(path, part, strict=True))
