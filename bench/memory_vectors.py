"""Which embedded vector search for agent memory: a measurement.

The same unit vectors (256 float32 dimensions, the offline embedding model's size)
are searched for their top 5 by cosine similarity, by each contender:

  stdlib      the vectors as float32 BLOBs read from SQLite, scored in Python
              (array + sum of products): only at the smaller size, -q 20
  numpy       every vector of the agent in one float32 matrix kept in memory;
              one matrix-vector product, argpartition for the top k; "ns" keeps a
              quarter of the rows first (a namespace filter) by a row mask
  numpy load  reading the BLOBs back from SQLite into that matrix (once per agent
              after a start)
  int8 + re-rank  the emulator's Index (memory/index.py): an int8 copy of the matrix
              scanned with simsimd's integer dot product, then the rows whose
              quantisation bound can reach the top 5 scored again in float32 (the
              same answer as the float32 scan); its CPU time per query beside
  vec0        sqlite-vec's vec0 virtual table, KNN (`MATCH ? AND k = ?`), with
              the agent as a partition key (through pysqlite3: this Python's
              sqlite3 cannot load extensions)
  vec scan    sqlite-vec's vec_distance_cosine over a plain table's BLOB column,
              ORDER BY ... LIMIT 5 (any SQL filter can join in)

numpy, sqlite-vec and pysqlite3-binary are needed for their rows (a missing one is
reported and skipped).

    .venv/bin/python bench/memory_vectors.py [--sizes 10000,100000] [-q 200]
"""

from __future__ import annotations

import argparse
import array
import importlib.util
import operator
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import p50, percentile, table, timed, timed_cpu

DIMS = 256
TOP = 5


def row(name: str, size: int, ms: list[float]) -> list[str]:
    return [name, f"{size:,}", f"{p50(ms):.2f} ms", f"{percentile(ms, 95):.2f} ms"]


def vectors(n: int, seed: int) -> Any:
    import numpy as np

    rng = np.random.default_rng(seed)
    m = rng.standard_normal((n, DIMS), dtype=np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    return m


def plain_db(path: Path, m: Any, agent: str = "bot") -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE v (rid INTEGER PRIMARY KEY, agent TEXT, ns TEXT, vec BLOB)")
    with conn:
        conn.executemany(
            "INSERT INTO v(rid, agent, ns, vec) VALUES (?,?,?,?)",
            ((i, agent, f"/users/u{i % 4}", m[i].tobytes()) for i in range(len(m))),
        )
    return conn


def stdlib(conn: sqlite3.Connection, queries: Any, runs: int) -> list[float]:
    def one(i: int) -> None:
        q = array.array("f", queries[i % len(queries)].tobytes())
        scored = []
        for rid, blob in conn.execute("SELECT rid, vec FROM v WHERE agent='bot'"):
            scored.append((sum(map(operator.mul, q, array.array("f", blob))), rid))
        scored.sort(reverse=True)
        del scored[TOP:]

    ms: list[float] = timed(one, runs)
    return ms


def index_rows(m: Any, queries: Any, runs: int, size: int) -> list[list[str]]:
    from nexus_emulator.memory.index import Index

    index = Index(DIMS)
    index.load([(i, m[i].tobytes(), f"/users/u{i % 4}", None) for i in range(len(m))])
    scan = timed_cpu(lambda i: index.top(queries[i % len(queries)], TOP, None), runs)
    ns = timed_cpu(lambda i: index.top(queries[i % len(queries)], TOP, "/users/u1"), runs)
    cpu = [f"(CPU {p50(c):.2f} / {percentile(c, 95):.2f} ms)" for _, c in (scan, ns)]  # p50 / p95
    return [
        [*row("int8 + re-rank (memory/index.py)", size, scan[0]), cpu[0]],
        [*row("int8 + re-rank, namespace filter", size, ns[0]), cpu[1]],
    ]


def numpy_rows(conn: sqlite3.Connection, queries: Any, runs: int, size: int) -> list[list[str]]:
    import numpy as np

    started = time.perf_counter()
    rows = conn.execute("SELECT rid, ns, vec FROM v WHERE agent='bot' ORDER BY rid").fetchall()
    rids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    matrix = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float32).reshape(-1, DIMS)
    load = (time.perf_counter() - started) * 1000
    in_ns = np.fromiter((r[1] == "/users/u1" for r in rows), dtype=bool, count=len(rows))

    def top(scores: Any) -> Any:
        k = min(TOP, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        return best[np.argsort(-scores[best])]

    def search(i: int) -> None:
        top(matrix @ queries[i % len(queries)])

    def search_ns(i: int) -> None:
        idx = np.flatnonzero(in_ns)
        scores = matrix[idx] @ queries[i % len(queries)]
        rids[idx[top(scores)]]

    wall, cpu = timed_cpu(search, runs)
    return [
        [*row("numpy", size, wall), f"(CPU {p50(cpu):.2f} / {percentile(cpu, 95):.2f} ms)"],
        row("numpy, namespace filter", size, timed(search_ns, runs)),
        [
            "numpy load from SQLite",
            f"{size:,}",
            f"{load:.0f} ms",
            f"{matrix.nbytes / 2**20:.0f} MiB",
        ],
    ]


def vec_rows(path: Path, m: Any, queries: Any, runs: int, size: int) -> list[list[str]]:
    import pysqlite3.dbapi2 as sqlite
    import sqlite_vec

    conn = sqlite.connect(str(path))
    conn.enable_load_extension(True)
    sqlite_vec.load(conn)
    conn.enable_load_extension(False)
    conn.execute(
        f"CREATE VIRTUAL TABLE knn USING vec0(agent text partition key, "
        f"embedding float[{DIMS}] distance_metric=cosine)"
    )
    started = time.perf_counter()
    with conn:
        conn.executemany(
            "INSERT INTO knn(rowid, agent, embedding) VALUES (?,?,?)",
            ((i, "bot", m[i].tobytes()) for i in range(len(m))),
        )
    fill = (time.perf_counter() - started) * 1000

    def knn(i: int) -> None:
        q = queries[i % len(queries)].tobytes()
        conn.execute(
            "SELECT rowid, distance FROM knn WHERE embedding MATCH ? AND k = ? AND agent = 'bot'",
            (q, TOP),
        ).fetchall()

    def scan(i: int) -> None:
        q = queries[i % len(queries)].tobytes()
        conn.execute(
            "SELECT rid, vec_distance_cosine(vec, ?) AS d FROM v WHERE agent='bot' "
            "ORDER BY d LIMIT ?",
            (q, TOP),
        ).fetchall()

    return [
        row("sqlite-vec vec0 KNN", size, timed(knn, runs)),
        row("sqlite-vec vec_distance_cosine scan", size, timed(scan, max(5, runs // 10))),
        ["sqlite-vec vec0 fill", f"{size:,}", f"{fill:.0f} ms", "-"],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("-q", "--queries", type=int, default=200)
    args = parser.parse_args()
    if importlib.util.find_spec("numpy") is None:
        sys.exit("numpy is needed to make the vectors: pip install numpy")
    have_vec = all(importlib.util.find_spec(m) for m in ("sqlite_vec", "pysqlite3"))
    rows: list[list[str]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        m = vectors(size, seed=size)
        queries = vectors(64, seed=1)
        with tempfile.TemporaryDirectory(prefix="nexus-vec-") as tmp:
            path = Path(tmp) / "state.db"
            conn = plain_db(path, m)
            if size <= 10000:
                rows.append(row("stdlib (array, sum of products)", size, stdlib(conn, queries, 20)))
            rows += numpy_rows(conn, queries, args.queries, size)
            rows += index_rows(m, queries, args.queries, size)
            conn.close()
            if have_vec:
                rows += vec_rows(path, m, queries, args.queries, size)
    rows = [r if len(r) == 5 else [*r, ""] for r in rows]
    print(table(["contender", "vectors", "p50", "p95", ""], rows))
    if not have_vec:
        print("sqlite-vec rows skipped: pip install sqlite-vec pysqlite3-binary")


if __name__ == "__main__":
    main()
