"""The data plane under concurrency: req/s, p50 and p99 at 8 and 32 connections, side by side.

In one run, on one machine, the same trivial agent (a greeting that counts words) behind:
  replica direct      POST <replica>/invocations (the SDK's server), examples/hello, 2 CPUs
  Nexus               POST /agents/hello/run through the emulator (auth, metrics, traces on),
                      with the admin credential and with a caller JWT (nexus ai token create)
  the same two with the replica at the development default of 500m CPU (throttled)
  with --fallback (Docker): a second emulator with NEXUS_REPLICA_ROUTE=published, whose
                      calls cross the port the replica publishes on 127.0.0.1 (docker-proxy)
                      instead of the container's address, and its replica called the same way
  AgentCore           a bare BedrockAgentCoreApp on uvicorn, POST /invocations
  langgraph dev       a one-node graph, POST /runs/wait
Besides req/s, p50 and p99, each figure has the CPU time per call of the processes serving
the target (bench/_cpu.py: the emulator, the replica's container, the port proxy; a peer's
server), which a shared machine moves far less than req/s.
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
import _cpu
import _load
import _peers
from _common import free_port, install_peers, nexus_bin, table
from _emulator import Emulator, healthy_replica, replica_headers, with_hello

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
    roots: list[int] = field(default_factory=list)  # processes whose CPU time is counted
    loads: dict[int, list[_load.Load]] = field(default_factory=lambda: defaultdict(list))


@dataclass(frozen=True)
class Deployed:
    url: str  # the replica's POST /invocations, where the emulator calls it
    roots: list[int]  # the processes serving it: the replica, and a port proxy if any


def deploy(env: dict[str, str], project: Path, name: str, cpu: str | None) -> Deployed:
    argv = [nexus_bin(), "ai", "agent", "deploy", name, "--path", str(project)]
    argv += ["--cpu", cpu] if cpu else []
    subprocess.run(argv, env=env, check=True, capture_output=True)
    replica = healthy_replica(env, name)
    rid = str(replica["id"])
    if rid.startswith("pid:"):  # the process runtime
        roots = [int(rid[4:])]
    else:
        roots = [_cpu.container_pid(rid), *_cpu.proxy_pids(_cpu.published_port(rid))]
    return Deployed(f"{replica['endpoint']}/invocations", roots)


def pair(em: Emulator, name: str, deployed: Deployed, suffix: str = "") -> list[Target]:
    """Nexus through ``em`` to agent ``name``, and its replica called directly."""
    return [
        Target(
            NEXUS + suffix,
            f"http://127.0.0.1:{em.port}/agents/{name}/run",
            headers={"Authorization": f"Bearer {em.token()}"},
            roots=[em.pid, *deployed.roots],
        ),
        Target(
            "replica direct" + suffix,
            deployed.url,
            headers=replica_headers(em.home, name),
            roots=deployed.roots,
        ),
    ]


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
                        span([x.cpu_us_per_call or 0.0 for x in loads], ",.0f"),
                        "—" if ratio is None else f"{ratio:.2f}x",
                    ]
                )
            head = ["target", "conns", "req/s", "p50 ms", "p99 ms", "CPU µs/call"]
            head.append(f"{targets[0].label} ÷ this")
            print(table(head, rows))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--no-peers", action="store_true", help="only the replica and Nexus")
    parser.add_argument("--install-peers", action="store_true")
    parser.add_argument(
        "--fallback",
        action="store_true",
        help="also a second emulator calling its replica through the published port",
    )
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
        second = None
        try:
            em.start()
            runtime = em.call("GET", "/v1/info")["runtime"]
            # the caller speaks as itself: its subject is the body's user_id
            mint = [nexus_bin(), "ai", "token", "create", "--sub", "123", "--scope",
                    "agents:invoke", "--agent", "hello"]  # fmt: skip
            jwt = subprocess.run(mint, env=env, check=True, capture_output=True, text=True)
            caller = {"Authorization": f"Bearer {jwt.stdout.strip()}"}
            hello = deploy(env, project, "hello", "2")
            via, direct = pair(em, "hello", hello)
            as_caller = Target(NEXUS + " (caller JWT)", via.url, headers=caller, roots=via.roots)
            main_group = [via, as_caller, direct]
            groups = [("replica at 2 CPUs" if runtime == "docker" else runtime, main_group)]
            if runtime == "docker":
                throttled = deploy(env, project, "hello-500m", None)
                groups.append(
                    (
                        "replica at the development default of 500m CPU (throttled)",
                        pair(em, "hello-500m", throttled),
                    )
                )
            if runtime == "docker" and args.fallback:
                (tmp / "fallback").mkdir()
                second, env2, project2 = with_hello(tmp / "fallback")
                second.env["NEXUS_REPLICA_ROUTE"] = "published"
                second.start()
                main_group += pair(
                    second, "hello", deploy(env2, project2, "hello", "2"), ", published port"
                )
            if with_peers:
                peers.append(_peers.start_agentcore(tmp, free_port(), BODY))
                peers.append(_peers.start_langgraph(tmp, free_port(), TEXT))
                for p in peers:
                    main_group.append(Target(p.label, p.url, body=p.body, roots=[p.proc.pid]))
            everything = [t for _title, ts in groups for t in ts]
            for t in everything:  # warm up every path and its connections
                try:
                    _load.run(t.url, t.body, t.headers, 8, 1)
                except SystemExit as exc:
                    raise SystemExit(f"{t.label} ({t.url}): {exc}") from None
            for _ in range(args.rounds):
                for c in CONNECTIONS:
                    for t in everything:
                        load = _load.run(t.url, t.body, t.headers, c, args.seconds, t.roots)
                        t.loads[c].append(load)
        finally:
            for p in peers:
                p.stop()
            if second is not None:
                second.stop()
            em.stop()
    report(groups, runtime, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
