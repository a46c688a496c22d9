"""Drive an HTTP endpoint with wrk (Debian's ``wrk``) and read its figures.

wrk is a C load generator on epoll: one thread keeps thousands of requests per
second in flight for a few percent of a core, so it is not what limits the
figures. Each target gets a Lua script that sets the method, body and headers;
a run fails loudly when any answer was not 2xx or a socket errored.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import _cpu

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class Load:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int = 0
    cpu_us_per_call: float | None = None  # of the target's serving processes (_cpu.py)


def wrk_bin() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed (hint: apt-get install -y wrk)")
    return found


def lua_script(body: bytes, headers: dict[str, str]) -> str:
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body.decode())}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    return "\n".join(lines) + "\n"


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def parse(output: str) -> Load:
    """req/s, p50 and p99 from ``wrk --latency`` output; fails on errors or non-2xx."""
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    if bad or socket_errors:
        raise SystemExit(f"wrk saw failed requests:\n{output}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    if not (rate and p50 and p99):
        raise SystemExit(f"could not read wrk's output:\n{output}")
    count = re.search(r"(\d+) requests in", output)
    requests = int(count.group(1)) if count else 0
    return Load(float(rate.group(1)), _ms(p50.group(1)), _ms(p99.group(1)), requests)


def run(
    url: str,
    body: bytes,
    headers: dict[str, str],
    connections: int,
    seconds: float,
    roots: list[int] | None = None,
) -> Load:
    """``wrk -t1 -c<connections>`` for ``seconds`` against ``url`` with POST ``body``; with
    ``roots``, the CPU time those processes (and theirs) spent per call meanwhile."""
    with tempfile.TemporaryDirectory(prefix="nexus-wrk-") as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(lua_script(body, {"Content-Type": "application/json", **headers}))
        argv = [wrk_bin(), "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
        argv += ["-s", str(script), url]
        before = _cpu.seconds(roots) if roots else 0.0
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        spent = _cpu.seconds(roots) - before if roots else 0.0
    if proc.returncode != 0:
        raise SystemExit(f"wrk failed ({proc.returncode}): {proc.stderr.strip()}")
    load = parse(proc.stdout)
    if roots and load.requests:
        load = replace(load, cpu_us_per_call=spent / load.requests * 1e6)
    return load
