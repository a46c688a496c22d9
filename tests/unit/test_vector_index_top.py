"""Index.top against a brute-force float32 ranking: below and above the row count from
which the int8 copy is scanned first (and without simsimd), with dropped rows, rows
added one by one past a growth, zero vectors, and namespace filters keeping few rows
(scored alone) and most rows (the whole scan, masked)."""

from __future__ import annotations

from typing import Any

import pytest
from nexus_emulator.memory.index import QUANTISED, Index, load_numpy, quantise


def brute(m: Any, query: Any, keep: list[int], k: int) -> list[int]:
    np = load_numpy()
    scores = m[keep] @ query
    return [keep[int(i)] + 1 for i in np.argsort(-scores, kind="stable")[:k]]


def sparse(np: Any, n: int, dims: int) -> Any:
    """Vectors like the offline model's: a few +-1 counts per row, normalised, some zero."""
    rng = np.random.default_rng(3)
    m = np.zeros((n, dims), dtype=np.float32)
    for i in range(n):
        m[i, rng.integers(0, dims, 1 + i % 9)] += rng.choice([-1.0, 1.0], 1 + i % 9)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms > 0, norms, 1)


@pytest.mark.parametrize("n", [1_000, QUANTISED + 1_001])
@pytest.mark.parametrize("kind", ["gaussian", "sparse"])
@pytest.mark.parametrize("simsimd", [True, False])
def test_top_matches_a_full_sort(n: int, kind: str, simsimd: bool) -> None:
    np = load_numpy()
    if kind == "gaussian":
        m = np.random.default_rng(11).standard_normal((n, 64), dtype=np.float32)
        m /= np.linalg.norm(m, axis=1, keepdims=True)
    else:
        m = sparse(np, n, 64)
    index = Index(64)
    if not simsimd:
        index.simsimd = None
    index.load([(i + 1, m[i].tobytes(), f"/ns/{i % 3}", None) for i in range(n)])
    everyone = list(range(n))
    for query in (m[5], m[n // 2] + 0.5 * m[7], np.zeros(64, dtype=np.float32)):
        query = (query / (np.linalg.norm(query) or 1)).astype(np.float32)
        got = index.top(query, 7, None)
        assert [s for _, s in got] == pytest.approx([float(m[r - 1] @ query) for r, _ in got])
        assert [s for _, s in got] == pytest.approx(
            [float(m[r - 1] @ query) for r in brute(m, query, everyone, 7)], abs=1e-6
        )
        if kind == "gaussian" and got[0][1] != 0:  # no ties: the very same rows
            assert [rid for rid, _ in got] == brute(m, query, everyone, 7)
    query = m[5]
    index.drop(6)  # the query's own row
    rest = [i for i in everyone if i != 5]
    assert [s for _, s in index.top(query, 6, None)] == pytest.approx(
        [float(m[r - 1] @ query) for r in brute(m, query, rest, 6)], abs=1e-6
    )
    for namespace, keep in (("/ns/1", lambda i: i % 3 == 1), ("/ns", lambda i: True)):
        rows = [i for i in rest if keep(i)]
        got = index.top(query, 4, namespace)
        assert [s for _, s in got] == pytest.approx(
            [float(m[r - 1] @ query) for r in brute(m, query, rows, 4)], abs=1e-6
        )
        assert all(keep(r - 1) and r != 6 for r, _ in got)
    assert index.top(query, 4, "/elsewhere") == []


def test_rows_set_one_by_one_past_growths_and_expired() -> None:
    np = load_numpy()
    n = QUANTISED + 300
    m = np.random.default_rng(5).standard_normal((n, 32), dtype=np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    index = Index(32)
    for i in range(n):  # 64 rows at first, doubled as they come
        index.set(i + 1, m[i].tobytes(), "/a", 1.0 if i % 2 else None)  # odd rows expired
    assert index.n == n
    assert len(index.rids) >= n
    query = m[10]
    expect = brute(m, query, list(range(0, n, 2)), 5)
    assert [rid for rid, _ in index.top(query, 5, None)] == expect
    index.set(12, m[10].tobytes(), "/a", None)  # record 12 now has the query's vector
    assert [rid for rid, _ in index.top(query, 2, None)] in ([11, 12], [12, 11])


def test_quantisation_bound_holds() -> None:
    """What the re-rank relies on: each int8 score is within its bound of the exact one."""
    np = load_numpy()
    m = np.random.default_rng(9).standard_normal((2_000, 256), dtype=np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    codes, scale, err, norm = quantise(np, m)
    q = m[0] * 0.6 + m[1] * 0.8
    q /= np.linalg.norm(q)
    q_codes, q_scale, q_err, _ = quantise(np, q[None, :])
    approx = (codes.astype(np.int64) @ q_codes[0].astype(np.int64)) * scale * q_scale[0]
    bound = err + q_err[0] * norm
    assert np.all(np.abs(m @ q - approx) <= bound + 1e-5)
    assert float(bound.max()) < 0.05  # tight enough to leave few rows to re-rank


@pytest.mark.parametrize("n", [2_000, QUANTISED + 1_001])
def test_a_rare_namespace_is_scored_alone(n: int) -> None:
    """A namespace of one row in twenty: its rows copied out and scored, below and above
    the int8 scan's row count."""
    np = load_numpy()
    m = np.random.default_rng(13).standard_normal((n, 24), dtype=np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    index = Index(24)
    index.load([(i + 1, m[i].tobytes(), "/rare" if i % 20 == 0 else "/common", None)
                for i in range(n)])  # fmt: skip
    rare = list(range(0, n, 20))
    for query in (m[3], m[40]):
        got = index.top(query, 6, "/rare")
        assert [rid for rid, _ in got] == brute(m, query, rare, 6)
        assert [s for _, s in got] == pytest.approx([float(m[r - 1] @ query) for r, _ in got])
