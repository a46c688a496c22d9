"""Where a Docker replica's start goes: the engine's start, then the wait for its first /ping.

In process on the Docker runtime (no emulator): one SDK image of a tiny agent,
started again and again at the development default of 500m CPU with a replica
secret, as the emulator starts one. Each start is timed in phases:

  engine     ``runtime.start``: create and start the container (network, published
             port, mounts) and read its port and address back
  to /ping   from there to the first healthy ``GET /ping``, asked the way the
             emulator asks it: every 5-25 ms through the emulator's own client
             (relay.py), at the container's address (what the emulator does now)
             or at the published port (what it did before: docker-proxy in between)
  slow       probes that took over 50 ms each (a connection held open by the
             proxy until the answer, or until the probe's 0.5 s timeout)
  in replica the SDK's own start, from its ``main()`` to listening (its "agent ready"
             log line's ``startup_ms``)

The two ways alternate, so drift on the machine hits both alike.

    .venv/bin/python bench/replica_start.py          # --starts 8
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "emulator"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import p50, table

if TYPE_CHECKING:
    from nexus_emulator.relay import Relay
    from nexus_emulator.runtime.base import ReplicaSpec
    from nexus_emulator.runtime.docker import DockerRuntime

SECRET = "bench-replica-secret"
AGENT = """
from nexus.ai.agents import Agent


class Hello(Agent):
    async def process(self, input):
        return {"echo": input}
"""
WAYS = ("container address", "published port")


async def start_once(
    runtime: DockerRuntime, relay: Relay, spec: ReplicaSpec, way: str
) -> dict[str, float]:
    from nexus_emulator.replicas import POLL_FIRST, POLL_LAST

    t0 = time.monotonic()
    handle = await runtime.start(spec)
    started = time.monotonic()
    target = handle.address if way == WAYS[0] else handle.endpoint
    relay.admit(target, SECRET)
    pause, slow = POLL_FIRST, 0
    while True:
        p0 = time.monotonic()
        answer, _ = await relay.probe(target, timeout=0.5, keep=False)
        slow += time.monotonic() - p0 > 0.05
        if answer is not None:
            break
        if time.monotonic() - started > 60:
            raise SystemExit(f"{handle.id[:12]} never answered /ping at {target}")
        await asyncio.sleep(pause)
        pause = min(POLL_LAST, pause * 1.25)
    healthy = time.monotonic()
    lines = await runtime.logs(handle.id, tail=20)
    await runtime.stop(handle.id)
    ready = [json.loads(x) for x in lines if '"agent ready"' in x]
    return {
        "engine": (started - t0) * 1000,
        "ping": (healthy - started) * 1000,
        "total": (healthy - t0) * 1000,
        "slow": float(slow),
        "inside": float(ready[0].get("startup_ms", 0)) if ready else 0.0,
    }


def main() -> None:
    import docker
    from nexus_emulator.relay import Relay
    from nexus_emulator.runtime.base import BuildSpec, ReplicaSpec
    from nexus_emulator.runtime.docker import DockerRuntime

    from tests.emulator.runtime_support import write_project
    from tests.emulator.test_runtime_docker import cleanup

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=8, help="replica starts per way")
    args = parser.parse_args()
    client = docker.from_env()
    with tempfile.TemporaryDirectory() as tmp:
        runtime = DockerRuntime(Path(tmp) / "home")
        try:
            project = write_project(Path(tmp) / "proj", "bench-start", code=AGENT)
            built = asyncio.run(
                runtime.build(BuildSpec("bench-start", 1, project, "agent:Hello"), print)
            )

            async def run_all() -> dict[str, list[dict[str, float]]]:
                relay = Relay()
                found: dict[str, list[dict[str, float]]] = {w: [] for w in WAYS}
                try:
                    for i in range(args.starts):
                        for way in WAYS if i % 2 == 0 else WAYS[::-1]:
                            spec = ReplicaSpec(
                                "bench-start",
                                "development",
                                1,
                                i,
                                built,
                                nano_cpus=500_000_000,
                                memory_bytes=512 * 2**20,
                                platform={"replica_secret": SECRET},
                            )
                            found[way].append(await start_once(runtime, relay, spec, way))
                finally:
                    await relay.close()
                return found

            found = asyncio.run(run_all())
            rows = []
            for way, runs in found.items():
                rows.append(
                    [
                        way,
                        f"{p50([r['total'] for r in runs]):.0f}",
                        f"{max(r['total'] for r in runs):.0f}",
                        f"{p50([r['engine'] for r in runs]):.0f}",
                        f"{p50([r['ping'] for r in runs]):.0f}",
                        f"{max(r['ping'] for r in runs):.0f}",
                        f"{sum(r['slow'] for r in runs):.0f}",
                        f"{p50([r['inside'] for r in runs]):.0f}",
                    ]
                )
            head = ["/ping asked at", "total p50 ms", "max", "engine p50", "to /ping p50"]
            head += ["max", "slow probes", "in replica p50"]
            print(f"{args.starts} starts per way, replica at 500m CPU")
            print(table(head, rows))
        finally:
            asyncio.run(runtime.close())
            cleanup(client, runtime.home)
            client.close()


if __name__ == "__main__":
    main()
