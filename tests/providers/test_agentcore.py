"""The agentcore provider against moto in server mode on loopback, driven through `nexus`.

moto emulates bedrock-agentcore-control, ECR, CloudWatch Logs and Secrets
Manager; a local registry stands in for ECR's storage. The image is built
for this machine (linux/amd64 here, platform option), pushed, and the
runtime, its versions and endpoints are real API objects of the emulator.
moto has no InvokeAgentRuntime: run and stream go to a stand-in for the data
plane (agentcore_dataplane.py) that relays to a container of the image the
provider built and pushed.
"""

from __future__ import annotations

import json
import platform
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.cli_support import Result, base_env, free_port, nexus
from tests.providers.agentcore_dataplane import SESSION, DataPlane
from tests.providers.swarm_support import shared_swarm

# one worker runs the module in order: its tests build on each other (deploy first, delete last)
pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.xdist_group("agentcore")]

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/nexus-agent"
AGENT = """
import os

from nexus.ai.agents import Agent


class Echo(Agent):
    def process(self, input):
        if input == "count":  # streamed: three chunks
            return (f"GREETING {i};" for i in range(3))
        if input == "fail":
            raise ValueError("no such thing")
        if input == "key":  # a secret, read from Secrets Manager at start (boto3)
            return os.environ.get("API_KEY", "-")
        return "GREETING " + str(input)
"""
TOML = (
    '[agent]\nname = "{name}"\nentrypoint = "agent:Echo"\nversion = "{version}"\n'
    'dependencies = ["boto3"]\n'  # reads its secrets from Secrets Manager at start
)
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


class AgentCore:
    def __init__(
        self, root: Path, env: dict[str, str], name: str, url: str, plane: DataPlane
    ) -> None:
        self.root, self.env, self.name, self.url, self.plane = root, env, name, url, plane

    def __call__(self, *args: str, env: dict[str, str] | None = None, stdin: str = "") -> Result:
        return nexus(
            "--provider", "agentcore", *args, env=env or self.env, stdin=stdin, timeout=300
        )

    def json(self, *args: str) -> Any:
        result = self("--json", *args)
        assert result.code == 0, result.out
        return json.loads(result.stdout)

    def deploy(self, greeting: str, version: str, **extra: str) -> Result:
        project = self.root / "project"
        project.mkdir(exist_ok=True)
        (project / "agent.py").write_text(AGENT.replace("GREETING", greeting))
        (project / "nexus.toml").write_text(TOML.format(name=self.name, version=version))
        return self(
            "ai", "agent", "deploy", "--path", str(project), "--env", "staging",
            env={**self.env, **extra},
        )  # fmt: skip

    def aws(self, service: str) -> Any:
        return boto3_client(service, self.url)

    def runtime(self) -> dict[str, Any]:
        control = self.aws("bedrock-agentcore-control")
        (found,) = [
            r
            for r in control.list_agent_runtimes()["agentRuntimes"]
            if r["agentRuntimeName"] == self.name.replace("-", "_")
        ]
        answer: dict[str, Any] = control.get_agent_runtime(agentRuntimeId=found["agentRuntimeId"])
        return answer


def boto3_client(service: str, url: str) -> Any:
    import boto3

    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def moto_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    script = Path(__file__).with_name("moto_server.py")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not moto_answers(url):
            assert proc.poll() is None, "moto_server.py exited"
            assert time.monotonic() < deadline, "moto did not answer within 30 s"
            time.sleep(0.1)
        # a runtime or endpoint is READY after two reads, as a real one is after a while
        body = {"progression": "manual", "times": 2}
        for model in ("agent_runtime", "agent_runtime_endpoint"):
            data = json.dumps(
                {"model_name": f"bedrock-agentcore-control::{model}", "transition": body}
            ).encode()
            urllib.request.urlopen(f"{url}/moto-api/state-manager/set-transition", data=data)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def agentcore(tmp_path_factory: pytest.TempPathFactory, moto_url: str) -> Iterator[AgentCore]:
    root = tmp_path_factory.mktemp("agentcore")
    with shared_swarm(swarm=False) as registry:
        env = base_env(root / "home", free_port())
        env.pop("NEXUS_RUNTIME")
        control = boto3_client("bedrock-agentcore-control", moto_url)
        runtime_env = {  # the runtime's role, as far as moto is concerned
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": moto_url,
        }
        plane = DataPlane(control, registry, runtime_env)
        env.update(
            NEXUS_AGENTCORE_DATA_ENDPOINT_URL=plane.url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION=REGION,
            NEXUS_AGENTCORE_ENDPOINT_URL=moto_url,
            NEXUS_AGENTCORE_ROLE_ARN=ROLE,
            NEXUS_AGENTCORE_REPOSITORY="nexus-agents",
            NEXUS_AGENTCORE_REGISTRY=registry,
            NEXUS_AGENTCORE_PLATFORM=f"linux/{ARCH}",
        )
        agent = AgentCore(root, env, f"ac-{secrets.token_hex(3)}", moto_url, plane)
        try:
            yield agent
        finally:  # the images built for it go too (a no-op after test_delete)
            plane.close()
            agent("ai", "agent", "delete", agent.name, "--yes")


def test_deploy_polls_until_ready(agentcore: AgentCore) -> None:
    result = agentcore.deploy("hello", "1.0.0")
    assert result.code == 0, result.out
    assert f"Deployed {agentcore.name} 1.0.0 (revision 1) to staging" in result.stdout
    assert "arn:aws:bedrock-agentcore:us-east-1:" in result.stdout  # the endpoint
    runtime = agentcore.runtime()
    assert runtime["status"] == "READY"
    assert runtime["roleArn"] == ROLE
    assert runtime["networkConfiguration"] == {"networkMode": "PUBLIC"}
    assert runtime["environmentVariables"] == {"NEXUS_AGENT": agentcore.name}
    uri = runtime["agentRuntimeArtifact"]["containerConfiguration"]["containerUri"]
    ecr = agentcore.aws("ecr").describe_repositories(repositoryNames=["nexus-agents"])
    assert uri.startswith(ecr["repositories"][0]["repositoryUri"] + "@sha256:")
    digest = uri.split("@")[1]
    request = urllib.request.Request(
        f"http://127.0.0.1:5000/v2/nexus-agents/manifests/{digest}",
        method="HEAD",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:  # the bytes are in the registry
        assert answer.status == 200
    again = agentcore.deploy("hello", "1.0.0")
    assert again.code == 0, again.out
    assert "Unchanged" in again.stdout


def test_run_and_stream_reach_the_container(agentcore: AgentCore) -> None:
    answer = agentcore.json("ai", "agent", "run", agentcore.name, "x", "--env", "staging")
    assert answer["output"] == "hello x"
    again = agentcore.json("ai", "agent", "run", agentcore.name, "y", "--session", "s-1")
    assert again["output"] == "hello y"  # no --env: the one environment it has
    sessions = [call.get(SESSION) or "" for call in agentcore.plane.calls]
    assert all(len(s) >= 33 for s in sessions), sessions  # AgentCore's minimum
    assert sessions[0] != sessions[1]
    streamed = agentcore("ai", "agent", "run", agentcore.name, "count", "--stream")
    assert streamed.code == 0, streamed.out
    assert "hello 0;hello 1;hello 2;" in streamed.stdout.replace("\n", "")
    whole = agentcore.json("ai", "agent", "run", agentcore.name, "count")
    assert whole["output"] == [{"text": f"hello {i};"} for i in range(3)]


def test_redeploy_history_rollback_status(agentcore: AgentCore) -> None:
    second = agentcore.deploy("howdy", "2.0.0")
    assert second.code == 0, second.out
    assert "2.0.0 (revision 2)" in second.stdout
    history = agentcore.json("ai", "agent", "history", agentcore.name)
    assert [(v["label"], v["live_in"]) for v in history["versions"]] == [
        ("1.0.0", []),
        ("2.0.0", ["staging"]),
    ]
    assert agentcore.json("ai", "agent", "run", agentcore.name, "x")["output"] == "howdy x"
    back = agentcore.json("ai", "agent", "rollback", agentcore.name, "--env", "staging")
    assert back["version"]["label"] == "1.0.0"
    assert agentcore.json("ai", "agent", "run", agentcore.name, "x")["output"] == "hello x"
    status = agentcore.json("ai", "agent", "status", agentcore.name)
    (staging,) = status["environments"]
    assert (staging["env"], staging["version"], staging["revision"]) == ("staging", "1.0.0", 1)
    assert staging["runtime"] == "agentcore"
    listed = agentcore.json("ai", "agent", "list")
    assert {"name": agentcore.name, "staging": "1.0.0"}.items() <= {
        "name": listed[0]["name"],
        **listed[0]["environments"],
    }.items()


def test_secrets_are_references(agentcore: AgentCore) -> None:
    digests = []
    for value in ("first-value", "second-value"):
        result = agentcore(
            "--json", "ai", "agent", "secret", "set", agentcore.name, "API_KEY",
            "--env", "staging", stdin=value,
        )  # fmt: skip
        assert result.code == 0, result.out
        digests.append(json.loads(result.stdout)["digest"])
    assert digests[0] != digests[1]
    listed = agentcore.json("ai", "agent", "secret", "list", agentcore.name)
    assert [(s["name"], s["scope"]) for s in listed] == [("API_KEY", "staging")]
    third = agentcore.deploy("hi", "3.0.0")
    assert third.code == 0, third.out
    variables = agentcore.runtime()["environmentVariables"]
    (arn,) = json.loads(variables["NEXUS_SECRET_ARNS"]).values()
    assert arn.startswith(f"arn:aws:secretsmanager:{REGION}:")
    assert "second-value" not in json.dumps(variables)
    stored = agentcore.aws("secretsmanager").get_secret_value(SecretId=arn)
    assert stored["SecretString"] == "second-value"
    # the runtime reads it with its own role at start: the agent sees the value
    key = agentcore.json("ai", "agent", "run", agentcore.name, "key", "--env", "staging")
    assert key["output"] == "second-value"


def test_logs_from_cloudwatch(agentcore: AgentCore) -> None:
    runtime_id = agentcore.runtime()["agentRuntimeId"]
    group = f"/aws/bedrock-agentcore/runtimes/{runtime_id}-staging"
    logs = agentcore.aws("logs")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="runtime-session-abc123")
    now = int(time.time() * 1000)
    lines = [
        {"level": "info", "msg": "agent ready"},
        {"level": "error", "msg": "call failed", "error": "boom"},
    ]
    logs.put_log_events(
        logGroupName=group,
        logStreamName="runtime-session-abc123",
        logEvents=[
            {"timestamp": now + i, "message": json.dumps(line)} for i, line in enumerate(lines)
        ],
    )
    result = agentcore("--json", "ai", "agent", "logs", agentcore.name, "--env", "staging")
    assert result.code == 0, result.out
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["msg"] for r in records] == ["agent ready", "call failed"]
    errors = agentcore("--json", "ai", "agent", "logs", agentcore.name, "--level", "error")
    assert [json.loads(line)["msg"] for line in errors.stdout.splitlines()] == ["call failed"]


def test_scale_is_refused(agentcore: AgentCore) -> None:
    scale = agentcore("ai", "agent", "scale", agentcore.name, "-e", "staging", "-r", "2")
    assert scale.code == 2, scale.out
    assert "is not supported by provider 'agentcore'" in scale.stderr
    assert "AgentCore scales sessions by itself" in scale.stderr


def test_invoke_errors_show_the_remote_code(agentcore: AgentCore) -> None:
    failed = agentcore("ai", "agent", "run", agentcore.name, "fail", "--env", "staging")
    assert failed.code == 1, failed.out  # the container's 500, as AgentCore reports it
    assert f"invoking {agentcore.name}: AWS answered RuntimeClientError (HTTP 424)" in failed.stderr
    assert "no such thing" in failed.stderr
    missing = agentcore("ai", "agent", "run", agentcore.name, "x", "--env", "production")
    assert missing.code == 2, missing.out
    assert f"{agentcore.name} has no production endpoint on AgentCore" in missing.stderr
    moto = {**agentcore.env, "NEXUS_AGENTCORE_DATA_ENDPOINT_URL": agentcore.url}
    run = agentcore("ai", "agent", "run", agentcore.name, "x", "--env", "staging", env=moto)
    assert run.code == 1, run.out  # moto itself has no InvokeAgentRuntime: its answer is shown
    assert f"invoking {agentcore.name}: AWS answered" in run.stderr
    assert "(HTTP 500): 500 Internal Server Error" in run.stderr
    down = {**agentcore.env, "NEXUS_AGENTCORE_DATA_ENDPOINT_URL": "http://127.0.0.1:9"}
    unreachable = agentcore("ai", "agent", "run", agentcore.name, "x", env=down)
    assert unreachable.code == 1, unreachable.out
    assert "cannot reach http://127.0.0.1:9" in unreachable.stderr


def test_bad_configuration(agentcore: AgentCore) -> None:
    no_role = agentcore.deploy("hello", "1.0.0", NEXUS_AGENTCORE_ROLE_ARN="")
    assert no_role.code == 2, no_role.out
    assert "needs the option 'role_arn'" in no_role.stderr
    assert "NEXUS_AGENTCORE_ROLE_ARN" in no_role.stderr
    down = agentcore(
        "ai",
        "agent",
        "list",
        env={**agentcore.env, "NEXUS_AGENTCORE_ENDPOINT_URL": "http://127.0.0.1:9"},
    )
    assert down.code == 1, down.out
    assert "cannot reach http://127.0.0.1:9" in down.stderr
    arm = agentcore.deploy("hello", "9.0.0", NEXUS_AGENTCORE_PLATFORM="linux/s390x")
    assert arm.code == 2, arm.out
    assert f"the image is linux/{ARCH} but the agentcore provider wants linux/s390x" in arm.stderr
    missing = agentcore("ai", "agent", "rollback", "no-such-agent", "--env", "staging")
    assert missing.code == 2, missing.out
    assert "has no AgentCore runtime" in missing.stderr


def test_delete(agentcore: AgentCore) -> None:
    agentcore.plane.stop_containers()  # the sessions end with the runtime; its images can go
    result = agentcore("ai", "agent", "delete", agentcore.name, "--yes")
    assert result.code == 0, result.out
    control = agentcore.aws("bedrock-agentcore-control")
    names = [r["agentRuntimeName"] for r in control.list_agent_runtimes()["agentRuntimes"]]
    assert agentcore.name.replace("-", "_") not in names
    assert agentcore.json("ai", "agent", "secret", "list", agentcore.name) == []
