"""Agent metrics, as the platform exposes them (Prometheus names of the product doc).

``agent_requests_total``, ``agent_errors_total``, ``agent_latency_seconds``
(a histogram), ``agent_tokens_total`` and ``agent_queue_size``, per agent and
environment (``agent_tokens_total`` also per version and model: the gateway's counts,
``model="unreported"`` for tokens only the replica reported). They live in memory,
like any Prometheus counter: a restart of the emulator starts them from zero. The
data plane records each call once (``chain.Chain._record``); latency counts the calls
that were answered.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
RECENT = 2048  # latencies kept for exact percentiles


@dataclass
class Series:
    requests: Counter[str] = field(default_factory=Counter)  # outcome -> count
    buckets: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    latency_sum: float = 0.0
    latency_count: int = 0
    tokens: int = 0
    by_model: Counter[tuple[str, str]] = field(default_factory=Counter)  # (version, model)
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT))

    def percentile(self, q: float) -> float | None:
        if not self.recent:
            return None
        ordered = sorted(self.recent)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Metrics:
    def __init__(self) -> None:
        self.series: dict[tuple[str, str], Series] = defaultdict(Series)

    def record(
        self,
        agent: str,
        env: str,
        outcome: str,
        seconds: float | None = None,
        tokens: int = 0,
        version: str = "",
        models: Mapping[str, int] | None = None,
    ) -> None:
        """One call; ``models``: its tokens per model (the gateway's counts)."""
        s = self.series[(agent, env)]
        s.requests[outcome] += 1
        s.tokens += max(0, int(tokens))
        for model, n in (models or {}).items():
            s.by_model[(version, model)] += max(0, int(n))
        if seconds is not None:
            s.buckets[bisect_left(BUCKETS, seconds)] += 1
            s.latency_sum += seconds
            s.latency_count += 1
            s.recent.append(seconds)

    def add_tokens(self, agent: str, env: str, version: str, model: str, tokens: int) -> None:
        """Tokens the gateway could give to no invocation (a client without a request id)."""
        s = self.series[(agent, env)]
        s.tokens += max(0, tokens)
        s.by_model[(version, model)] += max(0, tokens)

    def summary(
        self, agent: str, queue_sizes: dict[tuple[str, str], int] | None = None
    ) -> dict[str, Any]:
        envs = {}
        for (a, env), s in sorted(self.series.items()):
            if a != agent:
                continue
            total = sum(s.requests.values())
            errors = total - s.requests["ok"]
            p50, p95 = s.percentile(0.5), s.percentile(0.95)
            envs[env] = {
                "requests": total,
                "errors": errors,
                "error_rate": round(errors / total, 4) if total else 0.0,
                "latency_p50_ms": None if p50 is None else round(p50 * 1000, 3),
                "latency_p95_ms": None if p95 is None else round(p95 * 1000, 3),
                "tokens": s.tokens,
                "queue_size": (queue_sizes or {}).get((agent, env), 0),
            }
        return {"name": agent, "environments": envs}

    def prometheus(self, queue_sizes: dict[tuple[str, str], int] | None = None) -> str:
        out = [
            "# HELP agent_requests_total Number of requests",
            "# TYPE agent_requests_total counter",
        ]
        items = sorted(self.series.items())
        for (agent, env), s in items:
            for outcome, n in sorted(s.requests.items()):
                out.append(
                    f'agent_requests_total{{agent="{agent}",env="{env}",outcome="{outcome}"}} {n}'
                )
        out += ["# HELP agent_errors_total Number of errors", "# TYPE agent_errors_total counter"]
        for (agent, env), s in items:
            errors = sum(s.requests.values()) - s.requests["ok"]
            out.append(f'agent_errors_total{{agent="{agent}",env="{env}"}} {errors}')
        out += [
            "# HELP agent_latency_seconds Response latency",
            "# TYPE agent_latency_seconds histogram",
        ]
        for (agent, env), s in items:
            labels = f'agent="{agent}",env="{env}"'
            running = 0
            for bound, n in zip((*BUCKETS, float("inf")), s.buckets, strict=True):
                running += n
                le = "+Inf" if bound == float("inf") else repr(bound)
                out.append(f'agent_latency_seconds_bucket{{{labels},le="{le}"}} {running}')
            out.append(f"agent_latency_seconds_sum{{{labels}}} {s.latency_sum:.6f}")
            out.append(f"agent_latency_seconds_count{{{labels}}} {s.latency_count}")
        out += [
            "# HELP agent_tokens_total LLM tokens consumed",
            "# TYPE agent_tokens_total counter",
        ]
        for (agent, env), s in items:
            for (version, model), n in sorted(s.by_model.items()):
                labels = f'agent="{agent}",version="{version}",env="{env}",model="{model}"'
                out.append(f"agent_tokens_total{{{labels}}} {n}")
        out += ["# HELP agent_queue_size Pending tasks", "# TYPE agent_queue_size gauge"]
        for (agent, env), _ in items:
            size = (queue_sizes or {}).get((agent, env), 0)
            out.append(f'agent_queue_size{{agent="{agent}",env="{env}"}} {size}')
        return "\n".join(out) + "\n"
