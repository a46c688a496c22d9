"""Secrets reach the agent's os.environ (in __init__, as the seed shows), are encrypted at
rest, never come back from the API, and never show in `docker inspect`."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

from tests.emulator.conftest import Emu, write_agent

SEED_AGENT = """

import os


class Keyed(EchoAgent):
    def __init__(self):
        # Secrets are injected as environment variables
        self.api_key = os.environ["EXTERNAL_API_KEY"]

    async def process(self, input):
        return {"key_tail": self.api_key[-4:], "region": os.environ.get("REGION")}
"""
VALUE = "sk-test-0123456789-abcd"


def test_secret_reaches_init_and_stays_secret(emu: Emu, tmp_path: Path) -> None:
    # set before the first deploy: the agent's __init__ needs it
    r = emu.client.put("/v1/agents/keyed/secrets/EXTERNAL_API_KEY", json={"value": VALUE})
    assert r.status_code == 200, r.text
    assert VALUE not in r.text
    assert r.json()["restarted"] == []
    assert r.json()["key_store"]
    project = write_agent(tmp_path / "keyed", extra=SEED_AGENT)
    events = emu.deploy("keyed", project, project={"entrypoint": "agent:Keyed"})
    assert events[-1]["event"] == "result", events
    out = emu.client.post("/agents/keyed/run", json={"input": "x"}).json()["output"]
    assert out == {"key_tail": "abcd", "region": None}

    # a change restarts the replicas; an environment's own value wins over the agent-wide one
    emu.client.put("/v1/agents/keyed/secrets/REGION", json={"value": "eu"})
    changed = emu.client.put(
        "/v1/agents/keyed/secrets/REGION", json={"value": "us", "env": "development"}
    ).json()
    assert changed["restarted"] == ["development"]
    assert changed["scope"] == "development"
    assert (
        emu.client.post("/agents/keyed/run", json={"input": "x"}).json()["output"]["region"] == "us"
    )

    listed = emu.client.get("/v1/agents/keyed/secrets").json()
    assert {(s["name"], s["scope"]) for s in listed} == {
        ("EXTERNAL_API_KEY", "*"),
        ("REGION", "*"),
        ("REGION", "development"),
    }
    assert all(s["digest"].startswith("hmac-sha256:") for s in listed)
    # a keyed digest: it does not confirm a guessed value
    import hashlib

    plain = hashlib.sha256(VALUE.encode()).hexdigest()[:12]
    assert all(plain not in s["digest"] for s in listed)
    assert VALUE not in json.dumps(listed)

    # at rest: ciphertext only
    db = sqlite3.connect(emu.home / "state.db")
    blobs = b"".join(row[0] for row in db.execute("SELECT ciphertext FROM secrets"))
    assert VALUE.encode() not in blobs
    assert b"sk-test" not in blobs
    assert VALUE not in (emu.home / "test-emulator.log").read_text()

    if emu.runtime == "docker":
        status = emu.client.get("/v1/agents/keyed").json()
        for replica in status["environments"][0]["replicas"]:
            inspect = subprocess.run(
                ["docker", "inspect", replica["id"]], capture_output=True, text=True, check=True
            ).stdout
            assert VALUE not in inspect
            assert "EXTERNAL_API_KEY" not in inspect

    gone = emu.client.delete("/v1/agents/keyed/secrets/REGION", params={"env": "development"})
    assert gone.json()["restarted"] == ["development"]
    assert (
        emu.client.post("/agents/keyed/run", json={"input": "x"}).json()["output"]["region"] == "eu"
    )
    missing = emu.client.delete("/v1/agents/keyed/secrets/REGON")
    assert missing.status_code == 404, missing.text
    assert "did you mean 'REGION'" in missing.json()["error"]["hint"]
    bad = emu.client.put("/v1/agents/keyed/secrets/NEXUS_TOKEN", json={"value": "x"})
    assert bad.status_code == 400, bad.text
    assert "reserved" in bad.json()["error"]["message"]


def test_missing_secret_fails_the_deploy_with_the_agent_error(emu: Emu, tmp_path: Path) -> None:
    project = write_agent(tmp_path / "keyed", extra=SEED_AGENT)
    events = emu.deploy("keyed", project, project={"entrypoint": "agent:Keyed"})
    assert events[-1]["event"] == "error"
    assert any("EXTERNAL_API_KEY" in line for line in events[-1]["error"]["details"])
