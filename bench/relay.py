"""Relay overhead: a sync run through the emulator vs a direct call to the same replica.

Deploys examples/hello on a private emulator (tmp NEXUS_HOME, free port) with the `nexus`
CLI, finds the replica's endpoint with `nexus ai agent status hello --json`, then sends
N keep-alive requests on one connection to each:
  via the emulator: POST /agents/hello/run (the admin credential, then a caller JWT
                    from `nexus ai token create`)
  direct:           POST <replica endpoint>/invocations (with the replica's secret,
                    as the emulator presents it)
The two are interleaved in rounds so drift on the machine affects both alike.

    .venv/bin/python bench/relay.py [-n 500]
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import nexus_bin, p50, percentile, table
from _emulator import replica_endpoint, replica_headers, with_hello

BODY = json.dumps({"input": "Hello from the bench", "context": {"user_id": "123"}}).encode()


class Target:
    """One keep-alive connection and the latencies (ms) measured on it."""

    def __init__(
        self, port: int, path: str, headers: dict[str, str], host: str = "127.0.0.1"
    ) -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.path = path
        self.headers = {"Content-Type": "application/json", **headers}
        self.samples: list[float] = []

    def call(self, record: bool = True) -> None:
        t0 = time.perf_counter()
        self.conn.request("POST", self.path, body=BODY, headers=self.headers)
        resp = self.conn.getresponse()
        payload = resp.read()
        elapsed = (time.perf_counter() - t0) * 1000
        if resp.status != 200:
            raise SystemExit(f"POST {self.path}: HTTP {resp.status} {payload[:200]!r}")
        if resp.will_close:
            raise SystemExit(f"POST {self.path}: the server closed the keep-alive connection")
        if record:
            self.samples.append(elapsed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500, help="requests per target")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as tmp_name:
        tmp = Path(tmp_name)
        em, env, project = with_hello(tmp)
        port = em.port
        try:
            em.start()
            runtime = em.call("GET", "/v1/info")["runtime"]
            deploy = [nexus_bin(), "ai", "agent", "deploy", "hello", "--path", str(project)]
            subprocess.run(deploy, env=env, check=True, capture_output=True)
            endpoint = urlparse(replica_endpoint(env, "hello"))
            if endpoint.port is None:
                raise SystemExit(f"replica endpoint without a port: {endpoint.geturl()}")
            via = Target(port, "/agents/hello/run", {"Authorization": f"Bearer {em.token()}"})
            # the caller speaks as itself: its subject is the body's user_id
            mint = [nexus_bin(), "ai", "token", "create", "--sub", "123", "--scope",
                    "agents:invoke", "--agent", "hello"]  # fmt: skip
            jwt = subprocess.run(mint, env=env, check=True, capture_output=True, text=True)
            via_jwt = Target(
                port, "/agents/hello/run", {"Authorization": f"Bearer {jwt.stdout.strip()}"}
            )
            direct = Target(  # where the emulator calls it: a container address, or loopback
                endpoint.port,
                "/invocations",
                replica_headers(em.home, "hello"),
                endpoint.hostname or "127.0.0.1",
            )
            targets = (via, via_jwt, direct)
            for _ in range(50):  # warm up every path and its connection
                for target in targets:
                    target.call(record=False)
            per_round = max(1, args.n // args.rounds)
            while len(via.samples) < args.n:
                for target in targets:
                    for _ in range(per_round):
                        target.call()
        finally:
            em.stop()

    rows = [
        [name, str(len(t.samples)), f"{p50(t.samples):.3f}", f"{percentile(t.samples, 95):.3f}"]
        for name, t in (
            ("via emulator  POST /agents/hello/run (admin)", via),
            ("via emulator  POST /agents/hello/run (JWT)", via_jwt),
            ("direct        POST /invocations", direct),
        )
    ]
    added = p50(via.samples) - p50(direct.samples)
    added_jwt = p50(via_jwt.samples) - p50(direct.samples)
    print(f"runtime: {runtime}; one keep-alive connection per target (http.client)")
    print(table(["path", "n", "p50 ms", "p95 ms"], rows))
    print(f"emulator added latency, p50: {added:.3f} ms (target ≤ 1 ms)")
    print(f"emulator added latency with a caller JWT, p50: {added_jwt:.3f} ms (target ≤ 1 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
