"""A prebuilt image not built on the SDK (``deploy --image``) checks no replica secret
itself; the emulator puts its replica behind the holder's proxy, so a direct call to
its published port or to its container address is refused while the platform's
calls go through."""

from __future__ import annotations

import io
import json
import tarfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from nexus_emulator.runtime._egress import LABEL_NETNS

from tests.emulator.conftest import Emu, running_emulator
from tests.emulator.runtime_support import built_image

pytestmark = pytest.mark.docker

SERVER = """
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Contract(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _send(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._send({"status": "Healthy"})

    def do_POST(self):
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self._send({"plain": payload})


ThreadingHTTPServer(("0.0.0.0", 8080), Contract).serve_forever()
"""
DOCKERFILE = """
FROM nexus-base:bookworm-py3
COPY server.py /srv/server.py
USER 10001
EXPOSE 8080
CMD ["python3", "/srv/server.py"]
"""


@pytest.fixture
def plain_image() -> Iterator[str]:
    def fill(tar: tarfile.TarFile) -> None:
        for name, text in (("Dockerfile", DOCKERFILE), ("server.py", SERVER)):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

    with built_image("nexus-test-plain", fill) as tag:
        yield tag


@pytest.fixture
def demu(tmp_path: Path, free_port: int) -> Iterator[Emu]:
    with running_emulator(tmp_path, free_port, "docker") as e:
        yield e


def _direct(url: str) -> int:
    request = urllib.request.Request(
        url + "/invocations",
        data=json.dumps({"input": "x", "user_id": "anyone"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_direct_call_to_a_plain_image_replica_is_refused(demu: Emu, plain_image: str) -> None:
    events = demu.deploy("plain", image=plain_image)
    assert events[-1]["event"] == "result", events
    r = demu.client.post("/agents/plain/run", json={"input": "hi"})
    assert r.status_code == 200, r.text
    assert r.json()["output"] == {"plain": {"input": "hi"}}

    [env] = demu.client.get("/v1/agents/plain").json()["environments"]
    [replica] = env["replicas"]
    client = docker.from_env()
    try:
        container = client.containers.get(replica["id"])
        holder = client.containers.get(container.labels[LABEL_NETNS])
        port = holder.attrs["NetworkSettings"]["Ports"]["8080/tcp"][0]["HostPort"]
        address = next(iter(holder.attrs["NetworkSettings"]["Networks"].values()))["IPAddress"]
    finally:
        client.close()
    assert _direct(f"http://127.0.0.1:{port}") == 401  # the published port
    assert _direct(f"http://{address}:8080") == 401  # the container's own address
    again = demu.client.post("/agents/plain/run", json={"input": "again"})
    assert again.status_code == 200, again.text  # the platform's calls still go through
