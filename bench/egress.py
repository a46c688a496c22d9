"""What a replica's network namespace holder costs: start to healthy, and a call's latency.

In process, on the Docker runtime (no emulator): one SDK image of a tiny agent,
started in turns as a public replica (no holder), a platform-only one (holder
with egress rules) and, as a prebuilt image would be, behind the holder's
secret-checking proxy. For each: from ``runtime.start`` to the first 200 of
``GET /ping`` (with the replica secret), then sync calls ``POST /invocations``
on one keep-alive connection to the published port.

    .venv/bin/python bench/egress.py            # --starts 5 -n 300
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "emulator"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import p50, percentile, table

SECRET = "bench-replica-secret"
AGENT = """
from nexus.ai.agents import Agent


class Hello(Agent):
    async def process(self, input):
        return {"echo": input}
"""


def _conn(endpoint: str) -> http.client.HTTPConnection:
    parts = urlsplit(endpoint)
    return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)


def _call(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None) -> int:
    headers = {"X-Nexus-Replica-Secret": SECRET, "Content-Type": "application/json"}
    conn.request(method, path, body=body, headers=headers)
    reply = conn.getresponse()
    reply.read()
    return reply.status


def _healthy_after(endpoint: str, started: float) -> float:
    while time.monotonic() - started < 60:
        try:
            conn = _conn(endpoint)
            if _call(conn, "GET", "/ping", None) == 200:
                return (time.monotonic() - started) * 1000
        except OSError:
            pass
        time.sleep(0.005)
    raise SystemExit(f"{endpoint} never answered /ping")


def main() -> None:
    import docker
    from nexus_emulator.runtime._network import ensure_network, gateway
    from nexus_emulator.runtime.base import Artifact, BuildSpec, ReplicaSpec
    from nexus_emulator.runtime.docker import DockerRuntime

    from tests.emulator.runtime_support import write_project
    from tests.emulator.test_runtime_docker import cleanup

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5, help="replica starts per kind")
    parser.add_argument("-n", type=int, default=300, help="calls per kind")
    args = parser.parse_args()
    client = docker.from_env()
    with tempfile.TemporaryDirectory() as tmp:
        runtime = DockerRuntime(Path(tmp) / "home")
        try:
            project = write_project(Path(tmp) / "proj", "bench-egress", code=AGENT)
            built = asyncio.run(
                runtime.build(BuildSpec("bench-egress", 1, project, "agent:Hello"), print)
            )
            url = f"http://{gateway(ensure_network(client).attrs)}:9"
            kinds = {
                "public (no holder)": (built, "public"),
                "platform-only (holder, egress rules)": (built, "platform"),
                # as a prebuilt image: no base of ours, so the holder's proxy checks the secret
                "prebuilt image (holder, proxy)": (Artifact(built.ref, built.digest), "public"),
            }
            rows = []
            for label, (artifact, network) in kinds.items():
                starts, calls = [], []
                for i in range(args.starts):
                    platform = {"replica_secret": SECRET, "platform_url": url}
                    spec = ReplicaSpec(
                        "bench-egress",
                        "development",
                        1,
                        i,
                        artifact,
                        platform=platform,
                        network=network,
                    )
                    started = time.monotonic()
                    handle = asyncio.run(runtime.start(spec))
                    starts.append(_healthy_after(handle.endpoint, started))
                    if i == 0:
                        conn = _conn(handle.endpoint)
                        body = json.dumps({"input": "x"}).encode()
                        for _ in range(args.n):
                            t0 = time.perf_counter()
                            assert _call(conn, "POST", "/invocations", body) == 200
                            calls.append((time.perf_counter() - t0) * 1000)
                        conn.close()
                    asyncio.run(runtime.stop(handle.id))
                rows.append(
                    [
                        label,
                        f"{p50(starts):.0f}",
                        f"{max(starts):.0f}",
                        f"{p50(calls):.2f}",
                        f"{percentile(calls, 95):.2f}",
                    ]
                )
            print(
                table(["replica", "healthy p50 ms", "max ms", "call p50 ms", "call p95 ms"], rows)
            )
        finally:
            asyncio.run(runtime.close())
            cleanup(client, runtime.home)
            client.close()


if __name__ == "__main__":
    main()
