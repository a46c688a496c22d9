"""The data plane under concurrency: req/s, p50 and p99 at 8 and 32 connections, side by side.

In one run, on one machine, the same trivial agent (a greeting that counts words) behind:
  replica direct      POST <replica>/invocations (the SDK's server), examples/hello, 2 CPUs
  Nexus               POST /agents/hello/run through the emulator (auth, metrics, traces on),
                      with the admin credential and with a caller JWT (nexus ai token create)
  the same two with the replica at the development default of 500m CPU (throttled)
  AgentCore           a bare BedrockAgentCoreApp on uvicorn, POST /invocations
  langgraph dev       a one-node graph, POST /runs/wait
The load generator is wrk (-t1, keep-alive); peers come from bench/.peers
(`--install-peers` once). Targets take turns, so drift on the machine hits all alike;
`--rounds` repeats the whole table and prints the range of each figure.

    .venv/bin/python bench/concurrency.py [--seconds 5] [--rounds 3] [--install-peers]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _load
import _peers
from _common import free_port, install_peers, nexus_bin, table
from _emulator import replica_endpoint, replica_headers, with_hello

TEXT = "Hello from the bench"
BODY = json.dumps({"input": TEXT, "context": {"user_id": "123"}}).encode()
CONNECTIONS = (8, 32)
NEXUS = "Nexus via the emulator"


@dataclass
class Target:
    label: str
    url: str
    body: bytes = BODY
    headers: dict[str, str] = field(default_factory=dict)
    loads: dict[int, list[_load.Load]] = field(default_factory=lambda: defaultdict(list))


def deploy(env: dict[str, str], project: Path, name: str, cpu: str | None) -> str:
    argv = [nexus_bin(), "ai", "agent", "deploy", name, "--path", str(project)]
    argv += ["--cpu", cpu] if cpu else []
    subprocess.run(argv, env=env, check=True, capture_output=True)
    return str(replica_endpoint(env, name))


def span(values: list[float], fmt: str) -> str:
    low, high = min(values), max(values)
    return format(low, fmt) if len(values) == 1 or low == high else f"{low:{fmt}}-{high:{fmt}}"


def report(groups: list[tuple[str, list[Target]]], runtime: str, args: argparse.Namespace) -> None:
    print(
        f"runtime: {runtime}; wrk -t1, {args.seconds:g} s per figure, {args.rounds} round(s); "
        "ranges are min-max over the rounds"
    )
    for title, targets in groups:
        print(f"\n{title}")
        for c in CONNECTIONS:
            base = [x.requests_per_s for x in targets[0].loads[c]]
            rows = []
            for t in targets:
                loads = t.loads[c]
                rates = [x.requests_per_s for x in loads]
                ratio = sum(base) / sum(rates) if t is not targets[0] else None
                rows.append(
                    [
                        t.label,
                        str(c),
                        span(rates, ",.0f"),
                        span([x.p50_ms for x in loads], ".2f"),
                        span([x.p99_ms for x in loads], ".2f"),
                        "—" if ratio is None else f"{ratio:.2f}x",
                    ]
                )
            head = ["target", "conns", "req/s", "p50 ms", "p99 ms", f"{targets[0].label} ÷ this"]
            print(table(head, rows))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--no-peers", action="store_true", help="only the replica and Nexus")
    parser.add_argument("--install-peers", action="store_true")
    args = parser.parse_args()
    _load.wrk_bin()
    if args.install_peers:
        install_peers()
    with_peers = not args.no_peers and _peers.available()
    if not args.no_peers and not with_peers:
        print(
            "skipping the peers: bench/.peers missing (run with --install-peers)", file=sys.stderr
        )

    peers: list[_peers.Peer] = []
    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as tmp_name:
        tmp = Path(tmp_name)
        em, env, project = with_hello(tmp)
        port = em.port
        try:
            em.start()
            runtime = em.call("GET", "/v1/info")["runtime"]
            auth = {"Authorization": f"Bearer {em.token()}"}
            nexus_url = f"http://127.0.0.1:{port}/agents/{{}}/run"
            mint = [nexus_bin(), "ai", "token", "create", "--sub", "bench", "--scope",
                    "agents:invoke", "--agent", "hello"]  # fmt: skip
            jwt = subprocess.run(mint, env=env, check=True, capture_output=True, text=True)
            caller = {"Authorization": f"Bearer {jwt.stdout.strip()}"}
            main_group = [
                Target(NEXUS, nexus_url.format("hello"), headers=auth),
                Target(NEXUS + " (caller JWT)", nexus_url.format("hello"), headers=caller),
                Target(
                    "replica direct",
                    deploy(env, project, "hello", "2") + "/invocations",
                    headers=replica_headers(em.home, "hello"),
                ),
            ]
            groups = [("replica at 2 CPUs" if runtime == "docker" else runtime, main_group)]
            if runtime == "docker":
                throttled = deploy(env, project, "hello-500m", None)
                groups.append(
                    (
                        "replica at the development default of 500m CPU (throttled)",
                        [
                            Target(NEXUS, nexus_url.format("hello-500m"), headers=auth),
                            Target(
                                "replica direct",
                                throttled + "/invocations",
                                headers=replica_headers(em.home, "hello-500m"),
                            ),
                        ],
                    )
                )
            if with_peers:
                peers.append(_peers.start_agentcore(tmp, free_port(), BODY))
                peers.append(_peers.start_langgraph(tmp, free_port(), TEXT))
                for p in peers:
                    main_group.append(Target(p.label, p.url, body=p.body))
            everything = [t for _title, ts in groups for t in ts]
            for t in everything:  # warm up every path and its connections
                _load.run(t.url, t.body, t.headers, 8, 1)
            for _ in range(args.rounds):
                for c in CONNECTIONS:
                    for t in everything:
                        t.loads[c].append(_load.run(t.url, t.body, t.headers, c, args.seconds))
        finally:
            for p in peers:
                p.stop()
            em.stop()
    report(groups, runtime, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
