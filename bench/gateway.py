"""AI gateway: its overhead over the offline model called in-process, the streaming
first-token overhead, and 200 concurrent streamed completions.

Starts a private emulator (tmp NEXUS_HOME, free port, process runtime) and signs a
workload token for an agent with the emulator's own key (as a replica gets one).
  in-process:  OfflineModel.complete(...) in this process (the tokenizer warm)
  gateway:     POST /v1/platform/gateway/v1/chat/completions on one keep-alive
               connection (auth, quota check, audit row, JSON), interleaved in rounds
  first token: time to the first content chunk of a streamed completion, vs the
               in-process time to the model's first piece
  200 streams: at once on 200 connections (aiohttp); each call's usage chunk must
               equal the tokenizer's own count, and the audit must hold 200 rows

    .venv/bin/python bench/gateway.py [-n 500]
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bench_env, free_port, p50, percentile, table
from _emulator import Emulator

PATH = "/v1/platform/gateway/v1/chat/completions"
PROMPT = "Summarise the quarterly numbers for the board in two sentences, please."


def workload_token(home: Path, issuer: str, agent: str) -> str:
    import jwt
    from cryptography.hazmat.primitives import serialization

    folder = home / "identity"
    kid = next(k["kid"] for k in json.loads((folder / "keys.json").read_text()))
    key: Any = serialization.load_pem_private_key((folder / f"{kid}.pem").read_bytes(), None)
    now = int(time.time())
    claims = {"iss": issuer, "sub": f"agent:{agent}:development", "aud": "nexus:platform",
              "iat": now, "exp": now + 3600, "agent": agent, "scope": "platform"}  # fmt: skip
    return str(jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid}))


def body(stream: bool, text: str = PROMPT) -> bytes:
    doc: dict[str, Any] = {
        "model": "nexus-offline",
        "messages": [{"role": "user", "content": text}],
    }
    if stream:
        doc |= {"stream": True, "stream_options": {"include_usage": True}}
    return json.dumps(doc).encode()


def in_process(n: int) -> tuple[list[float], list[float]]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "emulator"))
    from nexus_emulator.gateway import tokens
    from nexus_emulator.gateway.offline import OfflineModel

    model = OfflineModel(None)
    tokens.encoder()
    whole, first = [], []
    messages = [{"role": "user", "content": PROMPT}]
    for _ in range(n):
        t0 = time.perf_counter()
        done = model.complete(messages)
        whole.append((time.perf_counter() - t0) * 1000)
        tokens.pieces(done.text)[0]
        first.append((time.perf_counter() - t0) * 1000)
    return whole, first


def over_http(port: int, token: str, n: int, stream: bool) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request("POST", PATH, body=body(stream), headers=headers)
        resp = conn.getresponse()
        if resp.status != 200:
            raise SystemExit(f"HTTP {resp.status}: {resp.read()[:200]!r}")
        if stream:
            while b'"content":"' not in (line := resp.readline()) or b'"content":""' in line:
                if not line:
                    raise SystemExit("the stream ended before any content")
            samples.append((time.perf_counter() - t0) * 1000)
            resp.read()
        else:
            resp.read()
            samples.append((time.perf_counter() - t0) * 1000)
    conn.close()
    return samples


async def concurrent_streams(port: int, token: str, count: int) -> tuple[float, int]:
    """``count`` streamed calls at once; (seconds, calls whose usage was right)."""
    import aiohttp

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "emulator"))
    from nexus_emulator.gateway import tokens

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    url = f"http://127.0.0.1:{port}{PATH}"

    async def one(session: aiohttp.ClientSession, i: int) -> bool:
        text = f"call number {i} of the concurrent streams " * (1 + i % 5)
        async with session.post(url, data=body(True, text), headers=headers) as resp:
            raw = await resp.read()
        frames = [line[6:] for line in raw.decode().splitlines() if line.startswith("data: ")]
        usage = next(json.loads(f)["usage"] for f in frames[:-1] if '"usage"' in f)
        expected = tokens.count(text)
        return bool(usage["prompt_tokens"] == usage["completion_tokens"] == expected)

    connector = aiohttp.TCPConnector(limit=count)
    async with aiohttp.ClientSession(connector=connector) as session:
        t0 = time.perf_counter()
        results = await asyncio.gather(*(one(session, i) for i in range(count)))
        return time.perf_counter() - t0, sum(results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500, help="calls per measurement")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--streams", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nexus-bench-gw-") as tmp:
        home, port = Path(tmp) / "home", free_port()
        home.mkdir()
        env = bench_env(home, port) | {"NEXUS_RUNTIME": "process"}
        em = Emulator(home, port, env, Path(tmp) / "emulator.log")
        em.start()
        try:
            token = workload_token(home, f"http://127.0.0.1:{port}", "bench")
            over_http(port, token, 20, False)  # warm: the tokenizer, the connection
            local, local_first, remote, remote_first = [], [], [], []
            per = max(1, args.n // args.rounds)
            for _ in range(args.rounds):
                whole, first = in_process(per)
                local += whole
                local_first += first
                remote += over_http(port, token, per, False)
                remote_first += over_http(port, token, per, True)
            stream_token = workload_token(home, f"http://127.0.0.1:{port}", "bench-streams")
            seconds, right = asyncio.run(concurrent_streams(port, stream_token, args.streams))
            audit = em.call("GET", "/v1/gateway/audit?agent=bench-streams&limit=10000")
        finally:
            em.stop()
    rows = [
        ["offline model, in-process", f"{p50(local):.3f}", f"{percentile(local, 99):.3f}"],
        ["through the gateway (HTTP)", f"{p50(remote):.3f}", f"{percentile(remote, 99):.3f}"],
        ["gateway overhead", f"{p50(remote) - p50(local):.3f}", ""],
        ["first token, in-process", f"{p50(local_first):.3f}", ""],
        [
            "first token, streamed",
            f"{p50(remote_first):.3f}",
            f"{percentile(remote_first, 99):.3f}",
        ],
        ["first-token overhead", f"{p50(remote_first) - p50(local_first):.3f}", ""],
    ]
    print(table(["what (ms)", "p50", "p99"], rows))
    print(
        f"\n{args.streams} concurrent streamed completions: {seconds:.2f} s, "
        f"{right}/{args.streams} with the right token counts, "
        f"{len(audit)} audit rows (want {args.streams})"
    )
    return 0 if right == args.streams and len(audit) == args.streams else 1


if __name__ == "__main__":
    sys.exit(main())
