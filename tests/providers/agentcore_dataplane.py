"""A stand-in for AgentCore's data plane on loopback: InvokeAgentRuntime, relayed to containers.

moto emulates the control plane (bedrock-agentcore-control) but has no
InvokeAgentRuntime. This server answers that one operation in its wire shape
(rest-json, from botocore's model of bedrock-agentcore 2024-02-28):

- ``POST /runtimes/{agentRuntimeArn}/invocations?qualifier=ENDPOINT``, the
  payload as the body, ``Content-Type``, ``Accept`` and
  ``X-Amzn-Bedrock-AgentCore-Runtime-Session-Id`` headers;
- the agent's answer as the body with its ``Content-Type`` (a JSON document
  or an event stream, relayed as it comes) and the session id header back;
- errors as ``x-amzn-ErrorType`` + ``{"message": ...}``:
  ResourceNotFoundException (404) for an unknown runtime or endpoint,
  RuntimeClientError (424) when the agent's container answers an error.

It reads what AgentCore would from the control plane (moto): the endpoint's
target version (the ``DEFAULT`` qualifier: the runtime's latest version) and
that version's containerUri and environment variables. It runs that image,
pulled from the local registry standing in for ECR, as a container on the
host's network (so it reaches moto on loopback, as a runtime reaches AWS),
waits for its ``GET /ping``, and relays ``POST /invocations`` to it: the
AgentCore runtime contract, served by the image the provider built.

What is emulated, not AgentCore: one container per runtime version (AgentCore
gives each session its own microVM), no SigV4 check, no inbound auth, no
quotas, the container runs on the host's architecture, and its AWS access
(``runtime_env``: test credentials and moto's endpoint) stands in for the
runtime's role.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SESSION = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
RELAYED = ("content-type", "accept", SESSION.lower(), "traceparent", "tracestate", "baggage")
LABEL = "dev.nexus.test.dataplane"


class Refused(Exception):
    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def _docker(*args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise Refused(500, "InternalServerException", f"docker {args[0]}: {done.stderr.strip()}")
    return done.stdout.strip()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DataPlane:
    """The server and the containers it started; ``close`` removes them all."""

    def __init__(self, control: Any, registry: str, runtime_env: dict[str, str]) -> None:
        self.control = control  # a boto3 bedrock-agentcore-control client (moto)
        self.registry = registry
        self.runtime_env = runtime_env  # what the runtime's role gives it: AWS access
        self.containers: dict[tuple[str, str], int] = {}  # (runtime id, version) -> host port
        self.lock = threading.Lock()
        self.calls: list[dict[str, str]] = []  # the headers of each invocation relayed
        plane = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                plane.invoke(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.stop_containers()

    def stop_containers(self) -> None:
        """Remove the containers started so far (a runtime being deleted loses its sessions)."""
        with self.lock:
            found = _docker("ps", "-aq", "--filter", f"label={LABEL}={id(self)}")
            if found:
                _docker("rm", "-f", *found.split())
            self.containers.clear()

    # ------------------------------------------------------------ the operation

    def invoke(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        try:
            url = urllib.parse.urlsplit(request.path)
            parts = url.path.split("/")
            if len(parts) != 4 or parts[1] != "runtimes" or parts[3] != "invocations":
                raise Refused(404, "UnknownOperationException", f"no operation at {url.path}")
            arn = urllib.parse.unquote(parts[2])
            qualifier = urllib.parse.parse_qs(url.query).get("qualifier", ["DEFAULT"])[0]
            port = self.container(arn, qualifier)
            headers = {k: v for k, v in request.headers.items() if k.lower() in RELAYED}
            self.calls.append(headers)
            self.relay(request, port, body, headers)
        except Refused as exc:
            error = json.dumps({"message": exc.message}).encode()
            request.send_response(exc.status)
            request.send_header("Content-Type", "application/json")
            request.send_header("x-amzn-ErrorType", exc.kind)
            request.send_header("Content-Length", str(len(error)))
            request.end_headers()
            request.wfile.write(error)

    def relay(
        self, request: BaseHTTPRequestHandler, port: int, body: bytes, headers: dict[str, str]
    ) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        try:
            conn.request("POST", "/invocations", body=body, headers=headers)
            answer = conn.getresponse()
            if answer.status >= 400:
                text = answer.read().decode("utf-8", "replace")[:500]
                raise Refused(
                    424, "RuntimeClientError", f"the agent answered {answer.status}: {text}"
                )
            request.send_response(200)
            request.send_header(
                "Content-Type", answer.getheader("Content-Type", "application/json")
            )
            request.send_header(SESSION, headers.get(SESSION, request.headers.get(SESSION, "")))
            request.send_header("Connection", "close")  # the body ends with the connection
            request.end_headers()
            while chunk := answer.read1(65536):
                request.wfile.write(chunk)
                request.wfile.flush()
            request.close_connection = True
        except OSError as exc:
            raise Refused(424, "RuntimeClientError", f"the agent's container: {exc}") from None
        finally:
            conn.close()

    # ------------------------------------------------------------ the container

    def target(self, arn: str, qualifier: str) -> tuple[str, str]:
        """(runtime id, version) the qualifier points at, read from the control plane."""
        listed = self.control.list_agent_runtimes()["agentRuntimes"]
        found = [r["agentRuntimeId"] for r in listed if r["agentRuntimeArn"] == arn]
        if not found:
            raise Refused(404, "ResourceNotFoundException", f"no runtime {arn}")
        runtime_id = found[0]
        errors = self.control.exceptions
        try:
            if qualifier == "DEFAULT":
                versions = self.control.list_agent_runtime_versions(agentRuntimeId=runtime_id)
                numbers = [int(v["agentRuntimeVersion"]) for v in versions["agentRuntimes"]]
                return runtime_id, str(max(numbers))
            endpoint = self.control.get_agent_runtime_endpoint(
                agentRuntimeId=runtime_id, endpointName=qualifier
            )
        except errors.ResourceNotFoundException:
            raise Refused(
                404, "ResourceNotFoundException", f"no runtime {arn} with endpoint {qualifier}"
            ) from None
        version = endpoint.get("liveVersion") or endpoint.get("targetVersion")
        return runtime_id, str(version)

    def container(self, arn: str, qualifier: str) -> int:
        runtime_id, version = self.target(arn, qualifier)
        with self.lock:
            port = self.containers.get((runtime_id, version))
            if port is None:
                port = self.start(runtime_id, version)
                self.containers[(runtime_id, version)] = port
        return port

    def start(self, runtime_id: str, version: str) -> int:
        runtime = self.control.get_agent_runtime(
            agentRuntimeId=runtime_id, agentRuntimeVersion=version
        )
        uri = runtime["agentRuntimeArtifact"]["containerConfiguration"]["containerUri"]
        image = f"{self.registry}/{uri.split('/', 1)[1]}"  # ECR's host -> the local registry
        port = _free_port()
        variables = {**self.runtime_env, **(runtime.get("environmentVariables") or {})}
        variables.update(PORT=str(port), NEXUS_HOST="127.0.0.1")
        env = [arg for k, v in variables.items() for arg in ("-e", f"{k}={v}")]
        label = f"{LABEL}={id(self)}"
        cid = _docker("run", "-d", "--label", label, "--network", "host", *env, image)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/ping")
                if conn.getresponse().status == 200:
                    return port
            if _docker("inspect", "-f", "{{.State.Running}}", cid) != "true":
                break  # it exited: say why
            time.sleep(0.2)
        logs = subprocess.run(
            ["docker", "logs", "--tail", "20", cid],
            capture_output=True,
            text=True,
            check=False,
        )
        raise Refused(
            424,
            "RuntimeClientError",
            f"the container never answered /ping: {logs.stdout[-1500:]} {logs.stderr[-1500:]}",
        )
