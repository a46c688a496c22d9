"""Helpers for the runtime backend tests: tiny agent projects and HTTP probes."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import tarfile
import textwrap
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

HELLO = """
import os
from pathlib import Path

from nexus.ai.agents import Agent

try:
    import six
except ImportError:
    six = None


class Hello(Agent):
    async def process(self, input):
        try:
            (Path(__file__).parent / "probe.txt").write_text("x")
            code_writable = True
        except OSError:
            code_writable = False
        return {
            "echo": input,
            "tag": "%(tag)s",
            "greeting": os.environ.get("GREETING"),
            "uid": os.getuid(),
            "code_writable": code_writable,
            "six": six.__version__ if six else None,
        }
"""

BROKEN = """
from nexus.ai.agents import Agent

class Hello(Agent):
    async def process(self, input:
        return input
"""


def write_project(
    root: Path,
    name: str,
    *,
    tag: str = "v1",
    deps: list[str] | None = None,
    code: str | None = None,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    lines = ["[agent]", f'name = "{name}"', 'entrypoint = "agent:Hello"']
    if deps:
        lines.append("dependencies = " + json.dumps(deps))
    (root / "nexus.toml").write_text("\n".join(lines) + "\n")
    (root / "agent.py").write_text(textwrap.dedent(code or HELLO % {"tag": tag}))
    (root / ".git").mkdir(exist_ok=True)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return root


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def wait_healthy(endpoint: str, timeout: float = 15.0) -> float:
    """Seconds until ``GET /ping`` answers 200; fails the test after ``timeout``."""
    start = time.monotonic()
    last: Exception | None = None
    while time.monotonic() - start < timeout:
        try:
            with urllib.request.urlopen(endpoint + "/ping", timeout=1) as reply:
                if reply.status == 200 and "status" in json.loads(reply.read()):
                    return time.monotonic() - start
        except (OSError, urllib.error.URLError, ValueError) as exc:
            last = exc
        time.sleep(0.01)
    raise AssertionError(f"{endpoint} never became healthy: {last}")


def invoke(endpoint: str, payload: Any) -> Any:
    request = urllib.request.Request(
        endpoint + "/invocations",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def until(what: str, check: Callable[[], Any], seconds: float = 30) -> Any:
    """``check()``'s first truthy value, asked until ``seconds`` pass; else fail saying ``what``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"not seen within {seconds:g} s: {what}")


def wait_until(predicate: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@contextlib.contextmanager
def built_image(name: str, fill: Callable[[tarfile.TarFile], None]) -> Iterator[str]:
    """A throw-away image ``name:<random>`` of the build context ``fill`` writes; removed after."""
    import docker

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        fill(tar)
    tag = f"{name}:{uuid.uuid4().hex[:8]}"
    client = docker.from_env()
    client.images.build(fileobj=io.BytesIO(buf.getvalue()), custom_context=True, tag=tag, rm=True)
    try:
        yield tag
    finally:
        client.images.remove(tag, force=True)
        client.close()
