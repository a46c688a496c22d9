"""Token verification cost per request: what the data plane's auth step pays.

In process, no HTTP: the emulator's own ``Guard`` and ``Verifier`` over a fresh
key ring in a temporary home. Four cases, each timed call by call:

- cached: the same token again (the steady state of a caller that reuses its token);
- first sight: a different token every call (full ES256 verification, cached key object);
- admin: the local admin credential (a constant-time compare);
- refused: a token with a bad signature (full verification, then the refusal).

    .venv/bin/python bench/identity.py          # -n 5000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "emulator"))

from _common import p50, percentile, table


def main() -> None:
    from nexus_emulator.identity.guard import Refused
    from nexus_emulator.identity.service import Identity

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5000, help="calls per case")
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        identity = Identity(Path(tmp), "http://127.0.0.1:8470", "admin-secret-token")
        guard = identity.guard
        path = "/agents/hello/run"

        def header(token: str) -> bytes:
            return f"Bearer {token}".encode()

        reused = header(identity.issuer.mint("alice", ["agents:invoke"], agent="hello")[0])
        fresh = [header(identity.issuer.mint(f"user{i}", ["agents:invoke"])[0]) for i in range(n)]
        good = fresh[0].decode().removeprefix("Bearer ")
        bad = header(good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"))
        admin = header("admin-secret-token")

        def timed(headers: list[bytes], refused: bool = False) -> list[float]:
            out = []
            for h in headers:
                t0 = time.perf_counter()
                try:
                    guard.check("POST", path, h)
                except Refused:
                    if not refused:
                        raise
                out.append((time.perf_counter() - t0) * 1e6)
            return out

        guard.check("POST", path, reused)  # warm: the first check fills the cache
        cases = {
            "cached (same token)": timed([reused] * n),
            "first sight (new token each call)": timed(fresh),
            "admin credential": timed([admin] * n),
            "refused (bad signature)": timed([bad] * min(n, 2000), refused=True),
        }
    rows = [
        [name, f"{p50(v):.1f}", f"{percentile(v, 95):.1f}", f"{percentile(v, 99):.1f}"]
        for name, v in cases.items()
    ]
    print(f"Token verification per request (µs), {n} calls per case, target p50 ≤ 50 µs cached\n")
    print(table(["case", "p50", "p95", "p99"], rows))


if __name__ == "__main__":
    main()
