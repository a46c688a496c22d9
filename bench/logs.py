"""Logs: the cost of a log record in a replica, and finding old errors among many lines.

Deploys a small agent on a private emulator (tmp NEXUS_HOME, free port). Per call it
writes N records through Python's logging (``log.info``) or none; the difference in
call latency, divided by N, is the cost of one record in the replica (JSON line,
call ids, pipe to stdout). Then it fills each replica's log with --lines records
after one error and times, through the `nexus` CLI:
  logs -n 100                          (the tail, no filter)
  logs --level error --since 1h        (filtered before the tail: scans every line)
  logs --grep needle                   (the same, by text)

    .venv/bin/python bench/logs.py [-n 200] [--lines 100000]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bench_env, free_port, nexus_bin, p50, percentile, table
from _emulator import Emulator

AGENT = """\
import logging

from nexus.ai.agents import Agent

log = logging.getLogger("bench")


class Chatty(Agent):
    async def process(self, input):
        if input.get("error"):
            log.error("needle: the error to find")
        for i in range(input["records"]):
            log.info("record %d of a busy call", i)
        return "ok"
"""


def call_ms(conn: http.client.HTTPConnection, token: str, records: int) -> float:
    body = json.dumps({"input": {"records": records}})
    t0 = time.perf_counter()
    conn.request(
        "POST",
        "/agents/chatty/run",
        body=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    resp = conn.getresponse()
    resp.read()
    if resp.status != 200:
        raise SystemExit(f"run: HTTP {resp.status}")
    return (time.perf_counter() - t0) * 1000


def timed(env: dict[str, str], *args: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    done = subprocess.run(
        [nexus_bin(), "ai", "agent", "logs", "chatty", "--json", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - t0, len(done.stdout.splitlines())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="calls per kind")
    parser.add_argument("--per-call", type=int, default=100, help="records per busy call")
    parser.add_argument("--lines", type=int, default=100_000, help="records after the error")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as tmp_name:
        tmp = Path(tmp_name)
        home, port = tmp / "home", free_port()
        home.mkdir()
        env = bench_env(home, port)
        project = tmp / "chatty"
        project.mkdir()
        (project / "agent.py").write_text(AGENT)
        (project / "nexus.toml").write_text(
            '[agent]\nname = "chatty"\nentrypoint = "agent:Chatty"\nversion = "1.0.0"\n'
        )
        em = Emulator(home, port, env, tmp / "emulator.log")
        try:
            em.start()
            runtime = em.call("GET", "/v1/info")["runtime"]
            deploy = [nexus_bin(), "ai", "agent", "deploy", "chatty", "--path", str(project)]
            subprocess.run(deploy, env=env, check=True, capture_output=True)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            token = em.token()
            quiet: list[float] = []
            busy: list[float] = []
            for _ in range(20):  # warm up
                call_ms(conn, token, 0)
            for _ in range(args.n):
                quiet.append(call_ms(conn, token, 0))
                busy.append(call_ms(conn, token, args.per_call))
            em.call("POST", "/agents/chatty/run", {"input": {"records": 0, "error": True}})
            left = args.lines
            while left > 0:
                chunk = min(left, 10_000)
                em.call("POST", "/agents/chatty/run", {"input": {"records": chunk}})
                left -= chunk
            time.sleep(1.0)  # the engine's log driver may hand lines over late
            rows = []
            for label, argv in (
                ("logs -n 100", ("-n", "100")),
                ("logs --level error --since 1h", ("--level", "error", "--since", "1h")),
                ("logs --grep needle", ("--grep", "needle")),
            ):
                seconds, found = min(timed(env, *argv) for _ in range(3))
                rows.append([label, str(found), f"{seconds:.2f}"])
        finally:
            em.stop()

    per_record_us = (p50(busy) - p50(quiet)) / args.per_call * 1000
    print(f"runtime: {runtime}")
    print(
        table(
            ["call", "n", "p50 ms", "p95 ms"],
            [
                ["0 records", str(len(quiet)), f"{p50(quiet):.3f}", f"{percentile(quiet, 95):.3f}"],
                [
                    f"{args.per_call} records",
                    str(len(busy)),
                    f"{p50(busy):.3f}",
                    f"{percentile(busy, 95):.3f}",
                ],
            ],
        )
    )
    print(f"one log record in the replica, p50: {per_record_us:.1f} µs")
    print(f"an error followed by {args.lines} records, read back through the CLI (best of 3):")
    print(table(["command", "records", "seconds"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
