"""One agent's vectors in memory, and the search of the k nearest to a query.

The vectors are unit length, so a dot product is their cosine. Each row is kept twice:
as float32 (the exact scores) and as int8 with a scale of its own (a quarter of the
bytes). A search over many rows scores the int8 copy first, with simsimd's integer dot
product (exact integer sums, about 1 ms at 100,000 rows of 256 dimensions where a
float32 product reads 98 MiB and took 4-6 ms of CPU). Every such score is within a
bound known for its row and the query (the quantisation errors, by Cauchy-Schwarz), so
only the rows whose bound can reach the k-th best lower bound are scored again in
float32: the answer is the float32 scan's, not an approximation. Without simsimd, or
for a few rows, the float32 product is the scan.

A namespace filter keeps rows by a lookup of their namespace id (one gather); a filter
that keeps few rows (a sixteenth with the int8 scan, a quarter without) scores only
those, in float32, as copying more would cost more than the int8 scan of all.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

INF = float("inf")
QUANTISED = 8_192  # rows from which the int8 copy is scanned first
CHUNK = 8_192  # rows quantised at once by a load


def load_numpy() -> Any:
    """numpy, with OpenBLAS on one thread when numpy was not imported before."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy's first import
    import numpy

    return numpy


def load_simsimd() -> Any | None:
    try:
        import simsimd
    except ImportError:  # an exotic platform without its wheel: the float32 scan
        return None
    return simsimd


def quantise(np: Any, x: Any) -> tuple[Any, Any, Any, Any]:
    """float32 rows ``x`` as (int8 codes, scale, |x - scale * codes|, |scale * codes|)."""
    peak = np.abs(x).max(axis=1)
    scale = np.where(peak > 0, peak / 127, 1).astype(np.float32)
    codes = np.rint(x / scale[:, None]).astype(np.int8)
    approx = codes * scale[:, None]
    err = np.linalg.norm(x - approx, axis=1).astype(np.float32)
    return codes, scale, err, np.linalg.norm(approx, axis=1).astype(np.float32)


class Index:
    """One agent's vectors: rows of a float32 matrix and its int8 copy, grown by doubling."""

    # one row each (``_allocate``)
    matrix: Any  # float32, n x dims
    codes: Any  # int8, n x dims: round(matrix / scale)
    scale: Any  # float32
    err: Any  # float32: |matrix - scale * codes|
    norm: Any  # float32: |scale * codes|
    rids: Any  # int64: the record ids
    ns: Any  # int32: the namespace ids
    expires: Any  # float64: the expiry, inf for none, -inf for a dropped row

    def __init__(self, dims: int) -> None:
        self.np = load_numpy()
        self.simsimd: Any = load_simsimd()  # None: the float32 scan
        self.dims = dims
        self.n = 0
        self._allocate(64)
        self.row_of: dict[int, int] = {}
        self.ns_id: dict[str, int] = {}

    def _allocate(self, size: int) -> None:
        np, dims = self.np, self.dims
        arrays = {
            "matrix": np.zeros((size, dims), dtype=np.float32),
            "codes": np.zeros((size, dims), dtype=np.int8),
            "scale": np.ones(size, dtype=np.float32),
            "err": np.zeros(size, dtype=np.float32),
            "norm": np.zeros(size, dtype=np.float32),
            "rids": np.zeros(size, dtype=np.int64),
            "ns": np.zeros(size, dtype=np.int32),
            "expires": np.full(size, INF),
        }
        if self.n:  # growing: the rows so far copied first, as a search may run meanwhile
            for name, array in arrays.items():
                array[: self.n] = getattr(self, name)[: self.n]
        self.__dict__.update(arrays)

    def set(self, rid: int, vec: bytes, namespace: str, expires: float | None) -> None:
        np = self.np
        row = self.row_of.get(rid)
        if row is None:
            if self.n == len(self.rids):
                self._allocate(len(self.rids) * 2)
            row = self.n
        x = np.frombuffer(vec, dtype=np.float32)
        if x.size != self.dims and not self.n:  # the first vector of another model's size
            self.dims = x.size
            self._allocate(64)
        self.matrix[row] = x
        self._quantise(row, row + 1)
        self.rids[row] = rid
        self.ns[row] = self.ns_id.setdefault(namespace, len(self.ns_id))
        self.expires[row] = INF if expires is None else expires
        if rid not in self.row_of:  # counted once written: a search may run meanwhile
            self.row_of[rid] = row
            self.n += 1

    def load(self, rows: list[tuple[int, bytes, str, float | None]]) -> None:
        """Fill an empty index at once: (record id, vector, namespace, expires_at) rows."""
        np, count = self.np, len(rows)
        self.n = 0
        self._allocate(max(64, count))
        if rows:
            vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
            self.matrix[:count] = vecs.reshape(count, self.dims)
            for start in range(0, count, CHUNK):
                self._quantise(start, min(count, start + CHUNK))
        self.rids[:count] = [r[0] for r in rows]
        self.ns[:count] = [self.ns_id.setdefault(r[2], len(self.ns_id)) for r in rows]
        self.expires[:count] = [INF if r[3] is None else r[3] for r in rows]
        self.row_of = {r[0]: i for i, r in enumerate(rows)}
        self.n = count

    def _quantise(self, start: int, end: int) -> None:
        codes, scale, err, norm = quantise(self.np, self.matrix[start:end])
        self.codes[start:end], self.scale[start:end] = codes, scale
        self.err[start:end], self.norm[start:end] = err, norm

    def drop(self, rid: int) -> None:
        row = self.row_of.pop(rid, None)
        if row is not None:
            self.expires[row] = -INF  # never live again (the row stays, unused)

    def top(
        self,
        query: Any,
        k: int,
        namespace: str | None,
        sees: Callable[[str], bool] | None = None,
    ) -> list[tuple[int, float]]:
        """The ``k`` best (record id, cosine) among live rows, best first, of ``namespace``
        (and those under it) and of the namespaces ``sees`` keeps."""
        # Taken once: it may run in a worker thread while the loop adds rows (every
        # array holds at least ``n`` written rows, as a row is counted once written).
        np, n, rows_of = self.np, self.n, self.__dict__.copy()
        rids, matrix = rows_of["rids"], rows_of["matrix"]
        live = rows_of["expires"][:n] > time.time()
        if namespace is not None or sees is not None:
            kept = [
                i
                for name, i in list(self.ns_id.items())
                if (namespace is None or _within(name, namespace)) and (sees is None or sees(name))
            ]
            wanted = np.zeros(len(self.ns_id) + 1, dtype=bool)
            wanted[kept] = True
            live &= wanted[rows_of["ns"][:n]]
        count = int(np.count_nonzero(live))
        k = min(k, count)
        if not k:
            return []
        quantised = self.simsimd is not None and n >= QUANTISED
        if count * (16 if quantised else 4) <= n:  # a few rows: copied and scored exactly
            rows = np.flatnonzero(live)
            return _best(np, rids[rows], matrix[rows] @ query, k)
        if not quantised:
            scores = matrix[:n] @ query
            scores[~live] = -INF
            return _best(np, rids[:n], scores, k)
        rows = self._candidates(rows_of, query, k, live)
        return _best(np, rids[rows], matrix[rows] @ query, k)

    def _candidates(self, rows_of: dict[str, Any], query: Any, k: int, live: Any) -> Any:
        """The rows whose int8 score, within its bound, may be among the k best."""
        np, n = self.np, len(live)
        peak = float(np.abs(query).max())
        step = peak / 127 if peak > 0 else 1.0
        q8 = np.rint(query / step).astype(np.int8)
        q_err = float(np.linalg.norm(query - q8 * np.float32(step)))
        codes, scale, err, norm = (rows_of[a][:n] for a in ("codes", "scale", "err", "norm"))
        dots = np.asarray(self.simsimd.cdist(q8[None, :], codes, metric="dot"))[0]
        approx = dots * (scale * step)
        # |q.x - q'.x'| <= |q| |x - x'| + |q - q'| |x'|, and a margin for float rounding
        bound = float(np.linalg.norm(query)) * err + (q_err * norm + 1e-5)
        low = np.where(live, approx - bound, -INF)
        kth = np.partition(low, n - k)[n - k]
        return np.flatnonzero(live & (approx + bound >= kth))

    def cosines(self, query: Any, rids: list[int]) -> dict[int, float]:
        rows = [(rid, self.row_of[rid]) for rid in rids if rid in self.row_of]
        if not rows:
            return {}
        scores = self.matrix[[r for _, r in rows]] @ query
        return {rid: float(s) for (rid, _), s in zip(rows, scores, strict=True)}


def _best(np: Any, rids: Any, scores: Any, k: int) -> list[tuple[int, float]]:
    """The ``k`` best of ``scores`` (one per id of ``rids``), best first."""
    best = np.argpartition(scores, len(scores) - k)[-k:]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(int(rids[i]), float(scores[i])) for i in best]


def _within(name: str, namespace: str) -> bool:
    return name == namespace or name.startswith(namespace.rstrip("/") + "/")
