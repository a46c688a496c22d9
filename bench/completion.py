"""Dynamic completion: milliseconds for one `nexus ai agent logs <TAB>` answered from the cache.

Runs the completion the way bash's script does (``_NEXUS_COMPLETE=complete_bash``)
against a cache of N agent names in a temporary config dir; no emulator needed.

    .venv/bin/python bench/completion.py [--runs 20] [--agents 200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import nexus_bin, p50, percentile


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--agents", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as tmp:
        cache = Path(tmp) / "cache" / "completion.json"
        cache.parent.mkdir()
        names = [f"agent-{i:04d}" for i in range(args.agents)]
        cache.write_text(json.dumps({"agents": names}))
        env = dict(os.environ, NEXUS_CONFIG_DIR=tmp, _NEXUS_COMPLETE="complete_bash")
        env |= {"COMP_WORDS": "nexus ai agent logs agent-00", "COMP_CWORD": "4"}
        samples = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            out = subprocess.run([nexus_bin()], env=env, capture_output=True, text=True)
            samples.append(time.perf_counter() - t0)
            assert len(out.stdout.split()) == 100, out.stdout[:200]
        print(
            f"completion of agent names ({args.agents} cached): p50 {p50(samples) * 1000:.0f} ms, "
            f"p95 {percentile(samples, 95) * 1000:.0f} ms (target ≤ 100 ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
