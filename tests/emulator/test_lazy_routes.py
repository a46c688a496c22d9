"""The emulator is ready before its rarely used routes are declared (app.py LAZY_ROUTERS):
they are declared on their first request, or for the OpenAPI document, which lists
them in their place. The start reads the engine without the docker SDK (engine.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CHECK = """
import asyncio, json, sys, threading
import httpx
from nexus_emulator.app import LAZY_ROUTERS, create_app
from nexus_emulator.config import EmulatorConfig

config = EmulatorConfig.from_env(home=sys.argv[1], runtime=sys.argv[2], port=0)
config.paths.ensure()
app = create_app(config, own_lifespan=False)
lazy = sorted({module for module, _, _ in LAZY_ROUTERS})

async def main():
    await app.emulator.start()
    seen = {"ready_with": sorted(m for m in lazy + ["docker"] if m in sys.modules)}
    app.emulator.warm(unless_idle=True)  # as __main__ does once serving: no agent, no warm-up
    seen["warming"] = [t.name for t in threading.enumerate() if t.name == "gateway-warm"]
    auth = {"Authorization": "Bearer " + app.emulator.token}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://e") as c:
        answer = await c.get("/v1/memory/agents/nobody/sessions", headers=auth)
        seen["memory"] = [answer.status_code, answer.json()]
        seen["after_memory"] = sorted(m for m in lazy if m in sys.modules)
        wrong = await c.get("/agents/nobody/run", headers=auth)
        seen["wrong_method"] = [wrong.status_code, wrong.headers.get("allow")]
        doc = (await c.get("/openapi.json")).json()
        seen["paths"] = list(doc["paths"])
    await app.emulator.stop()
    print(json.dumps(seen))

asyncio.run(main())
"""


def check(tmp_path: Path, runtime: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", CHECK, str(tmp_path / "home"), runtime],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    seen: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return seen


def test_rare_routes_are_declared_on_first_use_and_in_the_openapi_document(
    tmp_path: Path,
) -> None:
    seen = check(tmp_path, "process")
    assert seen["ready_with"] == []
    assert seen["warming"] == []  # the tokenizer (a second of CPU) waits for a first deploy
    status, body = seen["memory"]
    assert status == 200, body  # served by the memory routes, not a 404 for a missing route
    assert seen["after_memory"] == ["nexus_emulator.memory.api"]
    # a data-plane path with another method reaches FastAPI, which declares its routes then
    assert seen["wrong_method"] == [405, "POST"]
    paths: list[str] = seen["paths"]
    for path in (
        "/.well-known/jwks.json",
        "/agents/{name}/run",
        "/v1/agents/{name}/stream",
        "/v1/identity/tokens",
        "/v1/agents/{name}/tasks",
        "/v1/agents/{name}/logs",
        "/metrics",
        "/v1/agents/{name}/secrets",
        "/v1/agents/{name}/authorizer",
        "/v1/agents/{name}/credentials",
        "/v1/platform/gateway/v1/chat/completions",
        "/v1/platform/gateway/v1/messages",
        "/v1/gateway/audit",
        "/v1/platform/otlp/v1/traces",
        "/v1/platform/memory/sessions",
        "/v1/memory/agents/{agent}/sessions",
    ):
        assert path in paths
    # in the declared order, whichever was loaded first
    assert paths.index("/.well-known/jwks.json") < paths.index("/v1/agents/{name}/authorizer")
    assert paths.index("/v1/agents/{name}/authorizer") < paths.index("/v1/agents/{name}")
    assert paths.index("/v1/agents/{name}") < paths.index("/v1/agents/{name}/tasks")
    assert paths.index("/v1/platform/memory/sessions") < paths.index(
        "/v1/memory/agents/{agent}/sessions"
    )


@pytest.mark.docker
def test_a_docker_start_is_ready_without_the_docker_sdk(tmp_path: Path) -> None:
    seen = check(tmp_path, "docker")
    assert seen["ready_with"] == []


@pytest.mark.docker
def test_the_engine_read_without_the_sdk_agrees_with_the_sdk() -> None:
    import docker
    from nexus_emulator.runtime._network import platform_address, quick_platform_address

    client = docker.from_env()
    try:
        assert quick_platform_address() == platform_address(client)
    finally:
        client.close()
