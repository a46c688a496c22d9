"""The emulator's HTTP API against a real emulator process, on each runtime."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import httpx

from tests.emulator.conftest import Emu, start_emulator, write_agent


def result(events: list[dict[str, Any]]) -> dict[str, Any]:
    last = events[-1]
    assert last["event"] == "result", events
    return cast(dict[str, Any], last["result"])


def test_health_openapi_and_auth(emu: Emu) -> None:
    assert httpx.get(emu.url + "/v1/health/live").json() == {"status": "ok"}
    ready = httpx.get(emu.url + "/v1/health/ready").json()
    assert ready == {"ready": True, "runtime": emu.runtime, "state": "loaded"}
    doc = httpx.get(emu.url + "/openapi.json").json()
    for verb in ("run", "stream", "tasks"):  # answered before FastAPI, described all the same
        assert "post" in doc["paths"][f"/agents/{{name}}/{verb}"]
        assert "post" in doc["paths"][f"/v1/agents/{{name}}/{verb}"]  # and their aliases
    ids = [op["operationId"] for path in doc["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    assert "/v1/agents/{name}/deployments" in doc["paths"]
    denied = httpx.get(emu.url + "/v1/agents")
    assert denied.status_code == 401, denied.text
    assert denied.json()["error"]["code"] == "unauthorized"
    nowhere = emu.client.get("/v1/nowhere")
    assert nowhere.status_code == 404
    assert nowhere.json()["error"]["code"] == "not_found"
    wrong_method = emu.client.put("/v1/agents")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "usage"
    assert wrong_method.headers["allow"] == "GET"
    assert (emu.home / "token").stat().st_mode & 0o777 == 0o600


def test_deploy_run_redeploy_rollback_delete(emu: Emu, tmp_path: Path) -> None:
    project = write_agent(tmp_path / "echo")
    events = emu.deploy("echo", project, env="development")
    assert any(e["event"] == "progress" for e in events)
    first = result(events)
    assert first["version"]["revision"] == 1
    assert first["version"]["label"] == "r1"
    assert [r["state"] for r in first["replicas"]] == ["healthy"]

    r = emu.client.post("/agents/echo/run", json={"input": "hi", "context": {"user_id": "123"}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["output"] == {"echo": "hi", "user": "123", "tag": "v1"}
    assert body["metadata"]["tokens_used"] == 0
    assert body["metadata"]["revision"] == 1
    assert body["metadata"]["env"] == "development"

    # the same content again: nothing new is built into history
    redeploy = emu.deploy("echo", project, env="development")
    again = result(redeploy)
    assert again["version"]["revision"] == 1
    if not again["unchanged"]:
        # a loaded machine can make the replica miss two health checks: the deploy then
        # refreshes the pool with the same version, and still builds nothing new
        said = [e.get("message", "") for e in redeploy]
        assert any("same content as r1" in m for m in said), redeploy
    # and no copy of it is kept under the next revision's name
    if emu.runtime == "process":
        assert sorted(p.name for p in (emu.home / "artifacts" / "echo").iterdir()) == ["r1"]

    write_agent(project, tag="v2")
    second = result(emu.deploy("echo", project, env="development", label="2.0.0"))
    assert second["version"]["label"] == "2.0.0"
    out = emu.client.post("/agents/echo/run", json={"input": "x"}).json()
    assert out["output"]["tag"] == "v2"
    assert out["metadata"]["version"] == "2.0.0"

    rolled = emu.client.post("/v1/agents/echo/rollback", json={"env": "development"}).json()
    assert rolled["version"]["revision"] == 1
    assert emu.client.post("/agents/echo/run", json={"input": "x"}).json()["output"]["tag"] == "v1"

    forward = emu.client.post(
        "/v1/agents/echo/rollback", json={"env": "development", "version": "2.0.0"}
    ).json()
    assert forward["version"]["label"] == "2.0.0"

    history = emu.client.get("/v1/agents/echo/history").json()
    assert [v["label"] for v in history["versions"]] == ["r1", "2.0.0"]
    assert [e["action"] for e in history["events"]] == ["deploy", "deploy", "rollback", "rollback"]
    assert history["versions"][1]["live_in"] == ["development"]

    assert emu.client.delete("/v1/agents/echo").json() == {"name": "echo", "deleted": True}
    gone = emu.client.post("/agents/echo/run", json={"input": "x"})
    assert gone.status_code == 404, gone.text


def test_errors_change_nothing(emu: Emu, tmp_path: Path) -> None:
    project = write_agent(tmp_path / "echo")
    result(emu.deploy("echo", project))

    unknown = emu.client.post("/agents/ecko/run", json={"input": "x"})
    assert unknown.status_code == 404, unknown.text
    assert "did you mean 'echo'" in unknown.json()["error"]["hint"]

    bad = emu.deploy("echo", project, env="production", replicas=11)
    assert bad[0]["status"] == 400
    assert "2-10" in bad[0]["error"]["message"]
    bad_cpu = emu.deploy("echo", project, cpu="lots")
    assert bad_cpu[0]["status"] == 400
    assert "CPU" in bad_cpu[0]["error"]["message"]
    bad_name = emu.deploy("Echo_1", project)
    assert bad_name[0]["status"] == 400
    missing = emu.client.post("/v1/agents/echo/rollback", json={"version": "9.9.9"})
    assert missing.status_code == 404, missing.text
    assert "no version '9.9.9'" in missing.json()["error"]["message"]
    not_json = emu.client.post("/agents/echo/run", content=b"{oops")
    assert not_json.status_code == 400, not_json.text

    # a replica that crashes at import: the deploy fails with its log, r1 keeps serving
    (project / "agent.py").write_text("raise RuntimeError('boom at import')\n")
    failed = emu.deploy("echo", project)
    assert failed[-1]["event"] == "error"
    assert "development keeps serving r1" in failed[-1]["error"]["message"]
    assert any("boom at import" in line for line in failed[-1]["error"]["details"])
    ok = emu.client.post("/agents/echo/run", json={"input": "still"}).json()
    assert ok["output"]["echo"] == "still"
    assert ok["metadata"]["revision"] == 1
    history = emu.client.get("/v1/agents/echo/history").json()
    assert [e["action"] for e in history["events"]] == ["deploy"]


def test_build_failure_shows_pip_tail(emu: Emu, tmp_path: Path) -> None:
    project = write_agent(tmp_path / "echo")
    events = emu.deploy(
        "echo",
        project,
        project={
            "entrypoint": "agent:EchoAgent",
            "dependencies": ["nexus-no-such-package-zz==9.9"],
        },
    )
    assert events[-1]["event"] == "error"
    err = events[-1]["error"]
    assert "build" in err["message"]
    assert "nothing was deployed to development" in err["message"]
    assert any("nexus-no-such-package-zz" in line for line in err["details"])
    assert emu.client.get("/v1/agents").json() == []


def test_restart_keeps_everything(emu: Emu, tmp_path: Path) -> None:
    project = write_agent(tmp_path / "echo")
    result(emu.deploy("echo", project, label="1.0.0"))
    before = emu.client.get("/v1/agents/echo/history").json()
    emu.stop()
    again = start_emulator(emu.home, emu.port, emu.runtime)
    emu.proc, emu.client = again.proc, again.client
    assert emu.client.get("/v1/agents/echo/history").json() == before
    out = None
    for _ in range(200):
        r = emu.client.post("/agents/echo/run", json={"input": "back"})
        if r.status_code == 200:
            out = r.json()
            break
        import time

        time.sleep(0.1)
    assert out is not None
    assert out["output"]["echo"] == "back"
    assert out["metadata"]["version"] == "1.0.0"
