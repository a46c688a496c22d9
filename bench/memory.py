"""Agent memory: add-turn latency and FTS5 search latency over 100,000 records.

Runs the emulator's memory store in this process on a real state database (a tmp
file, WAL, every migration), as the platform routes call it:
  add turn:  Memory.append of one user turn to one of 50 sessions (one committed
             transaction each), -n times
  search:    Memory.search of two words, top 5, over --records records spread over
             20 namespaces of one agent (plus as many of another agent, which the
             search must skip), -n queries; also with a namespace filter
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
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import p50, percentile, table
from nexus_emulator.gateway.service import Gateway
from nexus_emulator.memory.extract import Extractor
from nexus_emulator.memory.store import Memory
from nexus_emulator.metrics import Metrics
from nexus_emulator.store import Store

from nexus_api.memory import Strategies

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


def timed(fn: object, runs: int) -> list[float]:
    assert callable(fn)
    out = []
    for i in range(runs):
        started = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - started) * 1000)
    return out


PREFERENCES = ["I really like {}.", "My favourite drink is {}.", "I prefer {} in the morning."]
FACTS = ["I work at {} in Berlin.", "The meeting with {} is on Monday.", "Our team uses {} daily."]


def extraction(
    store: Store, memory: Memory, home: Path, sessions: int, rng: random.Random
) -> tuple[float, int]:
    gateway = Gateway(home, Metrics())
    gateway.attach(store.conn)
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
            hits.append(len(memory.search("bench", queries[i], namespace, 5)))

        plain = timed(search, args.n)
        filtered = timed(lambda i: search(i, "/users/u3"), args.n)
        rate, records = extraction(store, memory, Path(tmp), args.sessions, rng)
        store.close()
    rows = [
        ["add turn", f"{p50(add):.3f}", f"{percentile(add, 95):.3f}", f"{percentile(add, 99):.3f}"],
        ["search top 5", f"{p50(plain):.3f}", f"{percentile(plain, 95):.3f}",
         f"{percentile(plain, 99):.3f}"],
        ["search, namespace", f"{p50(filtered):.3f}", f"{percentile(filtered, 95):.3f}",
         f"{percentile(filtered, 99):.3f}"],
    ]  # fmt: skip
    print(f"{args.records:,} records of one agent (+{args.records:,} of another), "
          f"loaded in {loaded:.1f} s; {args.n} calls each; hits per search "
          f"{sum(hits) / len(hits):.1f} on average")  # fmt: skip
    print(table(["ms", "p50", "p95", "p99"], rows))
    print(f"extraction: {rate:.0f} sessions/s of 10 turns with 3 strategies "
          f"({args.sessions} sessions, {records} records written)")  # fmt: skip


if __name__ == "__main__":
    main()
