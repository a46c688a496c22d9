"""Per-session isolation: how long a new session waits for a replica of its own.

A private emulator on the Docker runtime with a copy of ``examples/hello`` deployed by
``nexus ai agent deploy --isolation session``; then ``--sessions`` calls, each with a new
session id (``X-Nexus-Session-Id``), one after the other: from sending the call to its
answer (the session replica's start, its first healthy ``/ping`` and the call), and the
replica's own start to healthy as the emulator reports it (``nexus ai agent sessions``);
then a second call of each session (its replica reused). Each session is stopped after.

    .venv/bin/python bench/sessions.py            # --sessions 10
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nexus-bench-sessions-") as tmp:
        emu, env, project = with_hello(Path(tmp))
        emu.env["NEXUS_RUNTIME"] = "docker"
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
            first, again, healthy = [], [], []
            for i in range(args.sessions):
                session = f"bench-{i}"
                first.append(call(emu, session))
                again.append(call(emu, session))
                listed = emu.call("GET", "/v1/agents/hello/sessions")
                mine = next(s for s in listed if s["id"] == session)
                healthy.append(float(mine["replica"]["healthy_after_s"]))
                emu.call("DELETE", f"/v1/agents/hello/sessions/{session}")
        finally:
            emu.stop()
    rows = [
        [what, f"{p50(v) * 1000:.0f} ms", f"{percentile(v, 95) * 1000:.0f} ms", str(len(v))]
        for what, v in (
            ("first call of a new session (replica ready + call)", first),
            ("session replica start to healthy (emulator's figure)", healthy),
            ("next call of the same session", again),
        )
    ]
    print(table(["figure", "p50", "p95", "n"], rows))


if __name__ == "__main__":
    main()
