"""The model gateway's address and key for any framework's own client.

At start, before the agent is imported, a replica run by the platform gets
``OPENAI_BASE_URL``/``OPENAI_API_KEY`` and ``ANTHROPIC_BASE_URL``/``ANTHROPIC_API_KEY``
in its own process environment (never in the container's, so the workload token
is not in ``docker inspect``): the key is the replica's workload token, the URLs
the platform's gateway. A daemon thread writes the refreshed token back as the
platform replaces it, so clients created later use a current token (a client
built once at start keeps the key it read: it expires with that token, 15 min by
default). A provider whose key the agent set itself (``nexus ai agent secret
set … OPENAI_API_KEY``) is left alone.
"""

from __future__ import annotations

import os
import threading

from nexus.ai.agents._platform import platform_file

GATEWAY_PATH = "/v1/platform/gateway"
REFRESH_SECONDS = 30.0


def gateway_url() -> str | None:
    """The gateway's base URL for this replica, or None outside the platform."""
    current = platform_file()
    url = current.get("platform_url") if current else None
    return url.rstrip("/") + GATEWAY_PATH if url else None


def export() -> list[str]:
    """Set the providers' variables; the names of the providers pointed at the gateway."""
    current = platform_file()
    url = gateway_url()
    token = current.get("workload_token") if current else None
    if current is None or url is None or token is None:
        return []
    os.environ.setdefault("NEXUS_GATEWAY_URL", url)
    pointed = []
    for provider, base in (("OPENAI", url + "/v1"), ("ANTHROPIC", url)):
        key = f"{provider}_API_KEY"
        if os.environ.get(key) and os.environ.get(f"NEXUS_{provider}_FROM_GATEWAY") != "1":
            continue  # the agent's own key, from its secrets
        os.environ[f"{provider}_BASE_URL"] = base
        os.environ[key] = token
        os.environ[f"NEXUS_{provider}_FROM_GATEWAY"] = "1"
        pointed.append(provider)
    return pointed


def keep_exported() -> None:
    """Start the thread that writes each refreshed token back (once per process)."""
    if not export() or any(t.name == "nexus-gateway-env" for t in threading.enumerate()):
        return
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(REFRESH_SECONDS):
            export()

    threading.Thread(target=loop, name="nexus-gateway-env", daemon=True).start()
