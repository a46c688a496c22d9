"""Index.top against a brute-force ranking, below and above the row count from which
the product is split over two threads, with dropped rows and a namespace filter."""

from __future__ import annotations

import pytest
from nexus_emulator.memory.vectors import SPLIT, Index, load_numpy


@pytest.mark.parametrize("n", [1_000, SPLIT + 1_001])
def test_top_matches_a_full_sort(n: int) -> None:
    np = load_numpy()
    m = np.random.default_rng(11).standard_normal((n, 16), dtype=np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    index = Index(16)
    index.load([(i + 1, m[i].tobytes(), f"/ns/{i % 3}", None) for i in range(n)])
    query = m[5]
    expect = [int(i) + 1 for i in np.argsort(-(m @ query), kind="stable")[:7]]
    assert [rid for rid, _ in index.top(query, 7, None)] == expect
    index.drop(6)  # the query's own row
    assert [rid for rid, _ in index.top(query, 6, None)] == expect[1:]
    in_ns = [i for i in range(n) if i % 3 == 1 and i != 5]
    best = sorted(in_ns, key=lambda i: -float(m[i] @ query))[:4]
    got = index.top(query, 4, "/ns/1")
    assert [rid for rid, _ in got] == [i + 1 for i in best]
    assert [s for _, s in got] == pytest.approx([float(m[i] @ query) for i in best], abs=1e-5)
