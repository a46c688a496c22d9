"""Reliability figures: start to first successful call, and failed calls during rollouts.

start to first call   the emulator stopped with examples/hello serving in production
                      (2 replicas, left running), then `python -m nexus_emulator`
                      spawned: seconds until POST /agents/hello/run answers 200 (the
                      first call is sent as soon as the port takes connections; it waits
                      for the adopted replicas to be checked)
rollout under load    32 keep-alive connections call POST /agents/hello/run?env=production
                      without pause while code-only redeploys roll the 2 replicas out; the
                      calls answered other than 200 (target: 0), and req/s through it

  .venv/bin/python bench/reliability.py [--starts 5] [--redeploys 3] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import nexus_bin, p50, percentile, table
from _emulator import Emulator, with_hello

RUN = "/agents/hello/run?env=production"
BODY = json.dumps({"input": "how many words here"}).encode()


def deploy(project: Path, env: dict[str, str]) -> None:
    argv = [nexus_bin(), "ai", "agent", "deploy", "--env", "production", "--json"]
    subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, check=True)


def first_call(em: Emulator, timeout: float = 60.0) -> tuple[float, int]:
    """Spawn the emulator; seconds to the first 200 on RUN, and the answers before it."""
    argv = [sys.executable, "-m", "nexus_emulator", "--port", str(em.port), "--home", str(em.home)]
    em._log = em.log_path.open("ab")
    token = em.token()
    t0 = time.perf_counter()
    em.proc = subprocess.Popen(argv, env=em.env, stdout=em._log, stderr=em._log)
    refused = 0
    while time.perf_counter() - t0 < timeout:
        conn = http.client.HTTPConnection("127.0.0.1", em.port, timeout=60)
        try:
            conn.request("POST", RUN, BODY, {"Authorization": f"Bearer {token}"})
            status = conn.getresponse().status
        except OSError:
            time.sleep(0.005)  # not listening yet
            continue
        finally:
            conn.close()
        if status == 200:
            return time.perf_counter() - t0, refused
        refused += 1
    raise SystemExit(f"no successful call within {timeout:.0f} s; see {em.log_path}")


async def hammer(port: int, token: str, stop: asyncio.Event, counts: Counter[str]) -> None:
    """One keep-alive connection calling RUN until ``stop``; answers counted by status."""
    request = (
        f"POST {RUN} HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while not stop.is_set():
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1].decode()
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            counts[status] += 1
            if b"connection: close" in head.lower():
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except (OSError, asyncio.IncompleteReadError) as exc:
        counts[f"connection lost: {type(exc).__name__}"] += 1
    finally:
        writer.close()


async def rollout_under_load(
    em: Emulator, env: dict[str, str], project: Path, redeploys: int, connections: int
) -> tuple[Counter[str], float]:
    stop, counts = asyncio.Event(), Counter[str]()
    workers = [
        asyncio.create_task(hammer(em.port, em.token(), stop, counts)) for _ in range(connections)
    ]
    t0 = time.perf_counter()
    agent_py = project / "agent.py"
    for i in range(redeploys):
        agent_py.write_text(agent_py.read_text() + f"\n# rollout {i} {time.time()}\n")
        await asyncio.to_thread(deploy, project, env)
        print(f"redeploy {i + 1} rolled out; answers so far: {dict(counts)}", flush=True)
    seconds = time.perf_counter() - t0
    stop.set()
    await asyncio.gather(*workers)
    return counts, sum(v for k, v in counts.items() if k.isdigit()) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--redeploys", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as tmp_name:
        em, env, project = with_hello(Path(tmp_name))
        rows: list[list[str]] = []
        try:
            em.start()
            print(f"runtime: {em.call('GET', '/v1/info')['runtime']}", flush=True)
            deploy(project, env)
            starts, refused = [], 0
            for i in range(args.starts):
                em.stop(reset=False)  # the replicas keep running: the next start adopts them
                seconds, before = first_call(em)
                starts.append(seconds)
                refused += before
                print(f"start {i + 1}: first successful call after {seconds * 1000:.0f} ms "
                      f"({before} refused before it)", flush=True)  # fmt: skip
            rows.append(
                [
                    "emulator start to first successful call (replicas adopted)",
                    f"p50 {p50(starts) * 1000:.0f} ms, p95 {percentile(starts, 95) * 1000:.0f} ms "
                    f"({args.starts} starts, {refused} calls refused before the first success)",
                ]
            )
            counts, rate = asyncio.run(
                rollout_under_load(em, env, project, args.redeploys, args.connections)
            )
            failed = sum(v for k, v in counts.items() if k != "200")
            rows.append(
                [
                    f"calls failed during {args.redeploys} rollouts of 2 replicas, "
                    f"{args.connections} connections",
                    f"{failed} of {sum(counts.values())} ({dict(counts)}), {rate:.0f} req/s",
                ]
            )
        finally:
            em.stop()
        print()
        print(table(["figure", "measured"], rows))


if __name__ == "__main__":
    main()
