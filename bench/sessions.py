"""Per-session isolation: how long a new session waits for a replica of its own.

A private emulator on the Docker runtime with a copy of ``examples/hello`` deployed by
``nexus ai agent deploy --isolation session``; then ``--sessions`` calls, each with a new
session id (``X-Nexus-Session-Id``), one after the other, in two rounds:

- with the warm spare: before each new session, wait until the environment's spare is
  ready (``status``'s ``session_spare``), as a new session finds it when sessions arrive
  slower than a replica starts; the call's answer then comes from the spare;
- back to back: each new session right after the last one's answer, so the spare it
  finds may still be starting (then it waits for its own replica);
- without a spare (``--no-spare``: ``NEXUS_SESSION_SPARE=off``): every new session
  starts its own replica.

For each: from sending the call to its answer, and a second call of each session (its
replica reused). Each session is stopped after.

    .venv/bin/python bench/sessions.py            # --sessions 10
    .venv/bin/python bench/sessions.py --no-spare
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import tempfile
import time
from pathlib import Path

from _common import nexus_bin, p50, percentile, table
from _emulator import Emulator, with_hello


def call(emu: Emulator, session: str) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=120)
    headers = {
        "Authorization": f"Bearer {emu.token()}",
        "Content-Type": "application/json",
        "X-Nexus-Session-Id": session,
    }
    try:
        t0 = time.perf_counter()
        conn.request("POST", "/agents/hello/run", body=json.dumps({"input": "hi"}), headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        seconds = time.perf_counter() - t0
        if resp.status != 200:
            raise SystemExit(f"session {session}: HTTP {resp.status} {body[:300]!r}")
        return seconds
    finally:
        conn.close()


def spare_ready(emu: Emulator, deadline: float) -> str:
    """Wait until the environment's warm spare is ready; its id."""
    while time.monotonic() < deadline:
        env = emu.call("GET", "/v1/agents/hello")["environments"][0]
        spare = env.get("session_spare")
        if spare and spare["state"] == "healthy":
            return str(spare["id"])
        time.sleep(0.05)
    raise SystemExit("no session spare became ready within 120 s")


def sessions(emu: Emulator, count: int, prefix: str, wait_spare: bool) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {"first": [], "again": [], "took spare": []}
    for i in range(count):
        session = f"{prefix}-{i}"
        spare = spare_ready(emu, time.monotonic() + 120) if wait_spare else None
        found["first"].append(call(emu, session))
        found["again"].append(call(emu, session))
        listed = emu.call("GET", "/v1/agents/hello/sessions")
        mine = next(s for s in listed if s["id"] == session)
        found["took spare"].append(float(mine["replica"]["id"] == spare))
        emu.call("DELETE", f"/v1/agents/hello/sessions/{session}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--no-spare", action="store_true", help="NEXUS_SESSION_SPARE=off")
    args = parser.parse_args()
    rounds: list[tuple[str, dict[str, list[float]]]] = []
    with tempfile.TemporaryDirectory(prefix="nexus-bench-sessions-") as tmp:
        emu, env, project = with_hello(Path(tmp))
        emu.env["NEXUS_RUNTIME"] = "docker"
        if args.no_spare:
            emu.env["NEXUS_SESSION_SPARE"] = "off"
        emu.start()
        try:
            argv = [nexus_bin(), "ai", "agent", "deploy", "--path", str(project)]
            subprocess.run(
                [*argv, "--isolation", "session"],
                env=env,
                check=True,
                text=True,
                capture_output=True,
            )
            if args.no_spare:
                rounds.append(("no spare", sessions(emu, args.sessions, "bare", False)))
            else:
                rounds.append(("spare ready", sessions(emu, args.sessions, "warm", True)))
                rounds.append(("back to back", sessions(emu, args.sessions, "quick", False)))
        finally:
            emu.stop()
    rows = []
    for name, found in rounds:
        took = sum(found["took spare"])
        for what, key in (("first call of a new session", "first"), ("its next call", "again")):
            v = found[key]
            rows.append(
                [
                    f"{name}: {what}",
                    f"{p50(v) * 1000:.0f} ms",
                    f"{percentile(v, 95) * 1000:.0f} ms",
                    str(len(v)),
                ]
            )
        if name == "spare ready":
            rows.append([f"{name}: sessions served by the spare", f"{took:.0f}", "", ""])
    print(table(["figure", "p50", "p95", "n"], rows))


if __name__ == "__main__":
    main()
