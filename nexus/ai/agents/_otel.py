"""The agent's own OpenTelemetry spans, sent to the platform and joined to its traces.

When the agent's environment has ``opentelemetry-sdk`` and the OTLP/HTTP exporter
(``opentelemetry-exporter-otlp-proto-http``, or ``opentelemetry-exporter-otlp``),
a replica run by the platform installs, before the agent is imported, a tracer
provider whose spans go in batches to ``<platform>/v1/platform/otlp/v1/traces``
with the workload token (read again for every export, so a renewed token is
used). Each request's ``traceparent`` (the platform's call to the replica)
becomes the current OpenTelemetry context while ``process`` runs, so
``tracer.start_as_current_span(...)`` lands in the request's trace, and
``self.llm`` passes the current span on to the gateway. Without those packages,
or outside the platform, nothing is configured and this costs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from nexus.ai.agents._platform import platform_url, workload_token

OTLP_PATH = "/v1/platform/otlp/v1/traces"
_active = False


def active() -> bool:
    return _active


def configure() -> bool:
    """Install the tracer provider when the packages are there; whether it did."""
    global _active
    url = platform_url()
    if not url or _active:
        return _active
    try:
        import requests
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        return False

    class WorkloadAuth(requests.auth.AuthBase):
        def __call__(self, r: Any) -> Any:
            r.headers["Authorization"] = f"Bearer {workload_token() or ''}"
            return r

    session = requests.Session()
    session.auth = WorkloadAuth()
    exporter = OTLPSpanExporter(endpoint=url.rstrip("/") + OTLP_PATH, session=session)
    name = os.environ.get("NEXUS_AGENT_NAME", "agent")
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=250))
    trace.set_tracer_provider(provider)
    _active = True
    return True


def enter(traceparent: str | None) -> Callable[[], None]:
    """Make the request's ``traceparent`` the current context; returns how to leave it."""
    if not _active or not traceparent:
        return _nothing
    from opentelemetry import context
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    token = context.attach(TraceContextTextMapPropagator().extract({"traceparent": traceparent}))
    return lambda: context.detach(token)


def inject(headers: dict[str, str]) -> None:
    """Put the current span's ``traceparent`` into outgoing headers."""
    if _active:
        from opentelemetry.propagate import inject as otel_inject

        otel_inject(headers)


def shutdown() -> None:
    """Send the spans still buffered (at exit)."""
    if _active:
        from opentelemetry import trace

        provider: Any = trace.get_tracer_provider()
        provider.shutdown()


def _nothing() -> None:
    return None
