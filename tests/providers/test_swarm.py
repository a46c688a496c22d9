"""The swarm provider on a real one-node swarm, driven through the `nexus` command.

One agent is deployed once (staging) and reused: run, stream, scale to 3,
secret set and rotate, update, a failed update rolled back by the swarm,
rollback, logs, history, delete. The swarm and the registry are created
only when missing, and removed afterwards only then (tests/providers/swarm_support.py).
"""

from __future__ import annotations

import json
import secrets
import select
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.cli_support import NEXUS, base_env, free_port, nexus
from tests.emulator.webhook_verify import verify
from tests.providers.hook_receiver import receiver
from tests.providers.swarm_agent import Swarm, docker
from tests.providers.swarm_support import shared_swarm

# one worker runs the module in order: its tests build on each other (deploy first, delete last)
pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.xdist_group("swarm")]


@pytest.fixture(scope="module")
def swarm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Swarm]:
    root = tmp_path_factory.mktemp("swarm")
    name = f"sw{secrets.token_hex(3)}"
    with shared_swarm() as registry:
        env = base_env(root / "home", free_port())
        env.update(NEXUS_SWARM_REGISTRY=registry)
        env.pop("NEXUS_RUNTIME")
        agent = Swarm(root, env, name)
        try:
            yield agent
        finally:
            agent("ai", "agent", "delete", name, "--yes")


def test_deploy_and_run(swarm: Swarm) -> None:
    result = swarm.deploy("hello", "1.0.0")
    assert result.code == 0, result.out
    assert f"Deployed {swarm.name} 1.0.0 (revision 1) to staging" in result.stdout
    assert "replicas: 1/1 healthy" in result.stdout
    assert swarm.run() == {"says": "hello x", "key": "-"}
    streamed = swarm("ai", "agent", "run", swarm.name, "y", "--env", "staging", "--stream")
    assert streamed.code == 0, streamed.out
    assert "hello y" in streamed.stdout
    # the hardening of a local replica, on every task of the service
    spec = json.loads(docker("service", "inspect", f"nexus-{swarm.name}-staging"))[0]["Spec"]
    container = spec["TaskTemplate"]["ContainerSpec"]
    assert container["User"] == "10001:10001"
    assert container["ReadOnly"] is True
    assert container["CapabilityDrop"] == ["ALL"]
    assert container["Image"].startswith(f"127.0.0.1:5000/nexus/{swarm.name}@sha256:")
    assert "/ping" in " ".join(container["Healthcheck"]["Test"])
    assert spec["UpdateConfig"]["Order"] == "start-first"
    assert spec["UpdateConfig"]["FailureAction"] == "rollback"
    again = swarm.deploy("hello", "1.0.0")
    assert again.code == 0, again.out
    assert "Unchanged" in again.stdout


def task_until(swarm: Swarm, task_id: str, done: tuple[str, ...]) -> dict[str, object]:
    """The task once its status is one of ``done`` (polled, generous deadline)."""
    deadline = time.monotonic() + 120
    while True:
        task = swarm.json("ai", "agent", "task", "status", task_id)
        assert isinstance(task, dict)
        if task["status"] in done or time.monotonic() > deadline:
            return task
        time.sleep(0.5)


def test_async_tasks_through_the_front(swarm: Swarm) -> None:
    submitted = swarm.json("ai", "agent", "run", swarm.name, "x", "--env", "staging", "--async")
    assert isinstance(submitted, dict)
    task_id = str(submitted["task_id"])
    assert task_id.startswith(f"{swarm.name}.staging.task_")
    finished = task_until(swarm, task_id, ("succeeded", "failed", "dead"))
    assert finished["status"] == "succeeded", finished
    assert finished["result"] == {"says": "hello x", "key": "-"}
    assert (finished["attempt"], finished["progress"]) == (1, 100)

    steps = swarm.json("ai", "agent", "run", swarm.name, "steps", "--async")  # no --env
    assert isinstance(steps, dict)
    assert task_until(swarm, str(steps["task_id"]), ("succeeded",))["result"] == "hello done"

    slow = swarm.json("ai", "agent", "run", swarm.name, "slow", "--env", "staging", "--async")
    assert isinstance(slow, dict)
    slow_id = str(slow["task_id"])
    deadline = time.monotonic() + 120
    while True:
        task = swarm.json("ai", "agent", "task", "status", slow_id)
        assert isinstance(task, dict)
        if task["progress"] == 40 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert (task["status"], task["progress"]) == ("running", 40), task  # the reported progress
    cancelled = swarm.json("ai", "agent", "task", "cancel", slow_id)
    assert isinstance(cancelled, dict)
    assert cancelled["status"] == "cancelled"
    again = swarm("ai", "agent", "task", "cancel", slow_id)
    assert again.code == 2, again.out
    assert "is already cancelled" in again.stderr

    listed = swarm.json("ai", "agent", "task", "list", swarm.name)
    assert isinstance(listed, list)
    assert [t["task_id"] for t in listed] == [slow_id, steps["task_id"], task_id]
    only = swarm.json("ai", "agent", "task", "list", swarm.name, "--status", "cancelled")
    assert isinstance(only, list)
    assert [t["task_id"] for t in only] == [slow_id]
    retried = swarm.json("ai", "agent", "task", "retry", slow_id)
    assert isinstance(retried, dict)
    assert retried["status"] in ("pending", "running")
    swarm.json("ai", "agent", "task", "cancel", slow_id)  # it would sleep for minutes

    unknown = swarm("ai", "agent", "task", "status", f"{swarm.name}.staging.task_00")
    assert unknown.code == 2, unknown.out
    assert "no task" in unknown.stderr
    foreign = swarm("ai", "agent", "task", "status", "task_0123456789abcdef")
    assert foreign.code == 2, foreign.out
    assert "is not a swarm task id" in foreign.stderr


def test_scale_to_three(swarm: Swarm) -> None:
    status = swarm.json("ai", "agent", "scale", swarm.name, "--env", "staging", "--replicas", "3")
    assert isinstance(status, dict)
    (staging,) = status["environments"]
    assert [r["state"] for r in staging["replicas"]] == ["healthy"] * 3
    for _ in range(4):  # the front spreads connections over the replicas
        assert swarm.run()["says"] == "hello x"


def test_secret_set_and_rotate(swarm: Swarm) -> None:
    for value in ("first-value", "second-value"):
        result = nexus(
            *("--provider", "swarm", "ai", "agent", "secret", "set", swarm.name, "API_KEY"),
            *("--env", "staging"),
            env=swarm.env,
            stdin=value,
            timeout=300,
        )
        assert result.code == 0, result.out
        assert swarm.run()["key"] == value
    listed = swarm.json("ai", "agent", "secret", "list", swarm.name)
    assert isinstance(listed, list)
    assert [(s["name"], s["scope"]) for s in listed] == [("API_KEY", "staging")]
    # one swarm secret per key (the rotated one is gone); the value is in no spec
    mine = (
        "--filter",
        f"label=dev.nexus.agent={swarm.name}",
        "--filter",
        "label=dev.nexus.role=secret",
    )
    names = docker("secret", "ls", *mine, "-q")
    assert len(names.split()) == 1
    assert "second-value" not in docker("service", "inspect", f"nexus-{swarm.name}-staging")


def test_update_failed_update_and_rollback(swarm: Swarm) -> None:
    updated = swarm.deploy("howdy", "2.0.0", replicas=3)  # a rolling update of 3 replicas
    assert updated.code == 0, updated.out
    assert "replicas: 3/3 healthy" in updated.stdout
    assert swarm.run() == {"says": "howdy x", "key": "second-value"}

    broken = swarm.deploy("broken", "3.0.0", broken=True, replicas=3)
    assert broken.code == 1, broken.out
    assert "rolled it back" in broken.stderr
    assert swarm.run()["says"] == "howdy x"  # still served by 2.0.0

    back = swarm.json("ai", "agent", "rollback", swarm.name, "--env", "staging")
    assert isinstance(back, dict)
    assert back["version"]["label"] == "1.0.0"
    assert swarm.run() == {"says": "hello x", "key": "second-value"}
    history = swarm.json("ai", "agent", "history", swarm.name)
    assert isinstance(history, dict)
    assert [v["label"] for v in history["versions"]] == ["1.0.0", "2.0.0", "3.0.0"]
    assert [e["action"] for e in history["events"]] == ["deploy", "scale", "deploy", "rollback"]


def test_logs(swarm: Swarm) -> None:
    records = swarm("--json", "ai", "agent", "logs", swarm.name, "--env", "staging")
    assert records.code == 0, records.out
    lines = [json.loads(line) for line in records.stdout.splitlines()]
    assert any(r["msg"] == "agent ready" for r in lines)
    assert all(r["replica"] and r["time"] for r in lines)
    errors = swarm("--json", "ai", "agent", "logs", swarm.name, "--level", "error")
    assert all(json.loads(line)["level"] == "error" for line in errors.stdout.splitlines())


def test_logs_follow(swarm: Swarm) -> None:
    """`logs -f` prints a record written after it started (a call's request record)."""
    command = [NEXUS, "--provider", "swarm", "--json", "ai", "agent", "logs", swarm.name]
    follow = subprocess.Popen(
        [*command, "--env", "staging", "-f", "-n", "0"],
        env=swarm.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert follow.stdout is not None
        sent: set[str] = set()  # the request ids of the calls made
        seen: list[dict[str, object]] = []

        def hit() -> bool:
            ids = [str(r["request_id"]) for r in seen if r.get("request_id")]
            return any(i in sent for i in ids) if sent else bool(ids)

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not hit():
            # a call each round: the stream may have opened after an earlier call's record
            args = ("--json", "ai", "agent", "run", swarm.name, "followed", "--env", "staging")
            request_id = json.loads(swarm(*args).stdout)["metadata"].get("request_id")
            if request_id:
                sent.add(str(request_id))
            round_end = min(deadline, time.monotonic() + 10)
            while time.monotonic() < round_end and not hit():
                ready, _, _ = select.select([follow.stdout], [], [], round_end - time.monotonic())
                if not ready:
                    break
                line = follow.stdout.readline()
                if not line:
                    break
                seen.append(json.loads(line))
        assert hit(), seen
    finally:
        follow.terminate()
        follow.wait(10)


def test_unsupported_operations_exit_2(swarm: Swarm) -> None:
    for args, what in (
        (["ai", "agent", "scale", swarm.name, "-e", "staging", "--autoscale", "on"], "autoscaling"),
        (["ai", "agent", "metrics", swarm.name], "metrics"),
    ):
        result = swarm(*args)
        assert result.code == 2, result.out
        assert f"{what} is not supported by provider 'swarm'" in result.stderr


def test_remote_refusal_shows_its_code_and_message(swarm: Swarm) -> None:
    env = {**swarm.env, "NEXUS_SWARM_REGISTRY": "127.0.0.1:5000/Not-Lowercase"}
    args = ("ai", "agent", "deploy", swarm.name, "--image", "nexus-base:bookworm-py3")
    result = nexus("--provider", "swarm", *args, "--env", "staging", env=env)
    assert result.code == 1, result.out
    assert "pushing the image: the swarm manager answered 500: invalid reference" in result.stderr
    assert "repository name must be lowercase" in result.stderr


def test_unreachable_engine_and_missing_option(tmp_path: Path) -> None:
    env = base_env(tmp_path / "home", free_port())
    down = nexus(
        "--provider", "swarm", "ai", "agent", "list",
        env={**env, "NEXUS_SWARM_DOCKER_HOST": "tcp://127.0.0.1:9"},
    )  # fmt: skip
    assert down.code == 1, down.out
    assert "cannot reach the Docker engine at tcp://127.0.0.1:9" in down.stderr
    bare = nexus("--provider", "swarm", "ai", "agent", "deploy", "x", "--image", "y:1", env=env)
    assert bare.code == 2, bare.out
    assert "provider 'swarm' needs the option 'registry'" in bare.stderr
    assert "NEXUS_SWARM_REGISTRY" in bare.stderr


def test_front_published_through_the_ingress_mesh(swarm: Swarm) -> None:
    """publish=ingress moves the front onto the routing mesh, and host brings it back.

    This machine's kernel has no IPVS, so the mesh accepts no connection here: the
    service spec and the endpoint read from it are checked, a call is not.
    """
    ingress = {**swarm.env, "NEXUS_SWARM_PUBLISH": "ingress"}
    args = ("--provider", "swarm", "--json", "ai", "agent", "rollback", swarm.name, "-e", "staging")
    moved = nexus(*args, env=ingress, timeout=300)
    assert moved.code == 0, moved.out
    front = json.loads(docker("service", "inspect", f"nexus-{swarm.name}-staging-front"))[0]
    (port,) = front["Endpoint"]["Ports"]
    assert (port["PublishMode"], port["TargetPort"]) == ("ingress", 8080)
    assert front["Spec"]["EndpointSpec"]["Mode"] == "vip"
    assert json.loads(moved.stdout)["endpoint"].endswith(f":{port['PublishedPort']}")

    back = nexus(*args, env=swarm.env, timeout=300)
    assert back.code == 0, back.out
    front = json.loads(docker("service", "inspect", f"nexus-{swarm.name}-staging-front"))[0]
    assert front["Spec"]["EndpointSpec"]["Ports"][0]["PublishMode"] == "host"
    assert swarm.run()["says"] in ("hello x", "howdy x")  # answering through host mode again

    wrong = nexus(*args, env={**swarm.env, "NEXUS_SWARM_PUBLISH": "mesh"})
    assert wrong.code == 2, wrong.out
    assert "the swarm provider's publish option is 'mesh'" in wrong.out


def task_when(swarm: Swarm, task_id: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The task once ``done`` says so; a front that is restarting may fail a call meanwhile."""
    deadline = time.monotonic() + 180
    task: dict[str, Any] = {}
    while time.monotonic() < deadline:
        result = swarm("--json", "ai", "agent", "task", "status", task_id)
        if result.code == 0:
            task = json.loads(result.stdout)
            if done(task):
                return task
        time.sleep(0.5)
    return task


def until_ok(swarm: Swarm, *args: str) -> dict[str, Any]:
    """The command's JSON answer once it succeeds (the front may be restarting)."""
    deadline = time.monotonic() + 180
    while True:
        result = swarm("--json", *args)
        if result.code == 0 or time.monotonic() > deadline:
            assert result.code == 0, result.out
            answer = json.loads(result.stdout)
            assert isinstance(answer, dict)
            return answer
        time.sleep(0.5)


def test_tasks_survive_a_front_restart_and_post_signed_webhooks(swarm: Swarm) -> None:
    with receiver() as hook:
        submitted = swarm.json(
            "ai", "agent", "run", swarm.name, "x", "-e", "staging", "--async", "--webhook", hook.url
        )
        assert isinstance(submitted, dict)
        done_id = str(submitted["task_id"])
        finished = task_when(
            swarm,
            done_id,
            lambda t: bool(t["deliveries"][:1]) and t["deliveries"][0]["delivered_at"] is not None,
        )
        assert finished["status"] == "succeeded", finished
        assert finished["deliveries"][0]["attempts"] == 1, finished
        assert len(hook.posts) == 1
        headers, body = hook.posts[0]
        shown = swarm.json("ai", "agent", "webhook", "secret", "show", swarm.name)
        assert isinstance(shown, dict)
        verify(str(shown["secret"]), headers, body)  # raises unless signed with it
        assert headers["webhook-id"] == finished["deliveries"][0]["webhook_id"]
        posted = json.loads(body)
        assert (posted["task_id"], posted["status"]) == (done_id, "succeeded")
        assert posted["result"] == finished["result"]
        assert posted["result"]["says"] == "hello x"

        rotated = swarm.json("ai", "agent", "webhook", "secret", "rotate", swarm.name)
        assert isinstance(rotated, dict)
        assert rotated["secret"] != shown["secret"]
        assert len(rotated["previous_until"]) == 1
        args = ("ai", "agent", "run", swarm.name, "y", "-e", "staging", "--async")
        second = until_ok(swarm, *args, "--webhook", hook.url)  # the front is being updated
        task_when(swarm, str(second["task_id"]), lambda t: t["status"] == "succeeded")
        deadline = time.monotonic() + 60
        while len(hook.posts) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        headers, body = hook.posts[1]
        assert len(headers["webhook-signature"].split(" ")) == 2  # both sign while rotating
        verify(str(rotated["secret"]), headers, body)
        verify(str(shown["secret"]), headers, body)

    slow = swarm.json("ai", "agent", "run", swarm.name, "slow", "-e", "staging", "--async")
    assert isinstance(slow, dict)
    slow_id = str(slow["task_id"])
    running = task_when(swarm, slow_id, lambda t: t["progress"] == 40)
    assert (running["status"], running["attempt"]) == ("running", 1), running
    front = f"nexus-{swarm.name}-staging-front"
    # the front's container dies; the swarm starts another (its spec unchanged)
    (container,) = docker(
        "ps", "-q", "--filter", f"label=com.docker.swarm.service.name={front}"
    ).split()
    docker("kill", container)
    again = task_when(swarm, slow_id, lambda t: t["attempt"] == 2 and t["status"] == "running")
    assert (again["status"], again["attempt"]) == ("running", 2), again
    assert "the front restarted" in str(again["error"])
    kept = task_when(swarm, done_id, lambda t: True)
    assert kept["status"] == "succeeded", kept  # the finished task and its result are still there
    assert kept["result"] == finished["result"]
    assert kept["deliveries"][0]["delivered_at"] is not None  # and not posted again
    swarm.json("ai", "agent", "task", "cancel", slow_id)  # it would sleep for minutes


def test_delete_removes_everything(swarm: Swarm) -> None:
    result = swarm("ai", "agent", "delete", swarm.name, "--yes")
    assert result.code == 0, result.out
    label = f"label=dev.nexus.agent={swarm.name}"
    for kind in ("service", "config", "secret", "network"):
        assert docker(kind, "ls", "-q", "--filter", label).strip() == "", kind
    missing = swarm("ai", "agent", "status", swarm.name)
    assert missing.code == 2
    assert "not deployed on swarm" in missing.stderr
