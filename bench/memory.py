"""Agent memory: add-turn latency and FTS5 search latency over 100,000 records.

Runs the emulator's memory store in this process on a real state database (a tmp
file, WAL, every migration), as the platform routes call it:
  add turn:  Memory.append of one user turn to one of 50 sessions (one committed
             transaction each), -n times
  search:    Memory.search of two words, top 5, over --records records spread over
             20 namespaces of one agent (plus as many of another agent, which the
             search must skip), -n queries; also with a namespace filter
  vector:    Memory.search with mode vector, then hybrid, of two words, top 5, over
             --records vectors of the agent (random unit vectors written straight
             into memory_vectors, as the offline model's would take minutes to make;
             the query is embedded through the gateway as in the emulator), the
             first search (loading the matrix from SQLite) reported apart
  extraction: Extractor.extract of a 10-turn session with every strategy on
             (summary, preferences, facts: three calls of the offline model through
             the gateway, quota admission and audit rows included, then the records
             written), --sessions sessions: sessions per second
The HTTP layer (auth, JSON) is left out: bench/gateway.py measures the same
platform listener's overhead.

    .venv/bin/python bench/memory.py [-n 2000] [--records 100000] [--sessions 200]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import p50, percentile, table, timed, timed_cpu
from nexus_emulator.gateway.service import Gateway
from nexus_emulator.memory.extract import Extractor
from nexus_emulator.memory.store import Memory
from nexus_emulator.memory.vectors import Vectors
from nexus_emulator.metrics import Metrics
from nexus_emulator.store import Store

from nexus_api.memory import SearchIn, SearchMode, Strategies

WORDS = [f"w{i:04d}" for i in range(5000)]  # a 5,000-word vocabulary


def sentence(rng: random.Random, n: int = 12) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def fill(store: Store, agent: str, count: int, rng: random.Random) -> float:
    now = time.time()
    rows = [
        (agent, f"/users/u{i % 20}/facts", f"k{i}", sentence(rng), now, now) for i in range(count)
    ]
    started = time.perf_counter()
    with store.conn:
        store.conn.execute("BEGIN")
        store.conn.executemany(
            "INSERT INTO memory_records(agent, namespace, key, text, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?)",
            rows,
        )
    return time.perf_counter() - started


PREFERENCES = ["I really like {}.", "My favourite drink is {}.", "I prefer {} in the morning."]
FACTS = ["I work at {} in Berlin.", "The meeting with {} is on Monday.", "Our team uses {} daily."]


def vectors(store: Store, memory: Memory, gateway: Gateway, agent: str) -> float:
    """Random unit vectors for every record of ``agent``, vector search on; the first
    search's milliseconds (the matrix loaded from SQLite)."""
    from nexus_emulator.gateway.offline import DIMENSIONS
    from nexus_emulator.memory.index import load_numpy

    np = load_numpy()  # as the emulator imports it (OpenBLAS on one thread)

    rids = [
        r[0] for r in store.conn.execute("SELECT rid FROM memory_records WHERE agent=?", (agent,))
    ]
    m = np.random.default_rng(7).standard_normal((len(rids), DIMENSIONS), dtype=np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    with store.conn:
        store.conn.executemany(
            "INSERT INTO memory_vectors(rid, agent, model, vec) VALUES (?,?,?,?)",
            ((rid, agent, "random", m[i].tobytes()) for i, rid in enumerate(rids)),
        )
    memory.vectors = Vectors(store.conn, gateway)
    memory.vectors.set_enabled(agent, True, 30.0)
    started = time.perf_counter()
    memory.search(agent, SearchIn(query="w0001 w0002", mode="vector"))
    return (time.perf_counter() - started) * 1000


def extraction(
    store: Store, memory: Memory, gateway: Gateway, sessions: int, rng: random.Random
) -> tuple[float, int]:
    extractor = Extractor(memory, gateway)
    memory.set_strategies("extract", Strategies(strategies=["summary", "preferences", "facts"]))
    for i in range(sessions):
        turns = []
        for _ in range(5):
            said = rng.choice(PREFERENCES + FACTS).format(rng.choice(WORDS))
            turns += [{"role": "user", "text": said}, {"role": "assistant", "text": "Noted."}]
        memory.append("extract", f"a{i % 20}", f"x{i}", turns)
    started = time.perf_counter()
    for i in range(sessions):
        extractor.extract("extract", f"a{i % 20}", f"x{i}")
    took = time.perf_counter() - started
    return sessions / took, len(memory.records("extract", None, 10**6))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    started_load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "state.db")
        memory = Memory(store.conn)
        loaded = fill(store, "bench", args.records, rng)
        fill(store, "other", args.records, rng)
        add = timed(
            lambda i: memory.append(
                "bench", "ann", f"s{i % 50}", [{"role": "user", "text": sentence(rng, 20)}]
            ),
            args.n,
        )
        queries = [f"{rng.choice(WORDS)} {rng.choice(WORDS)}" for _ in range(args.n)]
        hits: list[int] = []

        def search(i: int, namespace: str | None = None) -> None:
            hits.append(
                len(memory.search("bench", SearchIn(query=queries[i], namespace=namespace)))
            )

        plain = timed(search, args.n)
        filtered = timed(lambda i: search(i, "/users/u3"), args.n)
        gateway = Gateway(Path(tmp), Metrics())
        gateway.attach(store.conn)
        load = vectors(store, memory, gateway, "bench")

        def by(mode: SearchMode, namespace: str | None = None) -> tuple[list[float], list[float]]:
            both: tuple[list[float], list[float]] = timed_cpu(
                lambda i: memory.search(
                    "bench", SearchIn(query=queries[i], namespace=namespace, mode=mode)
                ),
                args.n,
            )
            return both

        vector, vector_ns, hybrid = by("vector"), by("vector", "/users/u3"), by("hybrid")
        memory.vectors = None
        rate, records = extraction(store, memory, gateway, args.sessions, rng)
        store.close()
    rows = [
        ["add turn", f"{p50(add):.3f}", f"{percentile(add, 95):.3f}", f"{percentile(add, 99):.3f}"],
        ["search top 5", f"{p50(plain):.3f}", f"{percentile(plain, 95):.3f}",
         f"{percentile(plain, 99):.3f}"],
        ["search, namespace", f"{p50(filtered):.3f}", f"{percentile(filtered, 95):.3f}",
         f"{percentile(filtered, 99):.3f}"],
        *[[name, f"{p50(ms):.3f}", f"{percentile(ms, 95):.3f}", f"{percentile(ms, 99):.3f}",
           f"{p50(cpu):.3f}", f"{percentile(cpu, 95):.3f}"]
          for name, (ms, cpu) in (("vector search top 5", vector), ("vector, namespace", vector_ns),
                                  ("hybrid search top 5", hybrid))],
    ]  # fmt: skip
    rows = [r if len(r) == 6 else [*r, "", ""] for r in rows]
    print(f"{args.records:,} records of one agent (+{args.records:,} of another), "
          f"loaded in {loaded:.1f} s; {args.n} calls each; hits per search "
          f"{sum(hits) / len(hits):.1f} on average")  # fmt: skip
    print(table(["ms", "p50", "p95", "p99", "CPU p50", "CPU p95"], rows))
    ended_load = os.getloadavg()[0]
    print(f"load average (1 min) {started_load:.1f} at the start, {ended_load:.1f} at the end")
    print(f"vector search's first call (the matrix loaded from SQLite): {load:.0f} ms")
    print(f"extraction: {rate:.0f} sessions/s of 10 turns with 3 strategies "
          f"({args.sessions} sessions, {records} records written)")  # fmt: skip


if __name__ == "__main__":
    main()
