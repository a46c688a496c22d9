"""The outbound credential vault: an API key and an OAuth2 client per agent, served to the
agent's replicas through the platform API with their workload token; OAuth2 tokens come
from a real token endpoint on loopback and are cached until expiry."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization

from tests.emulator.conftest import Emu, write_agent
from tests.emulator.oauth_support import TokenEndpoint

CREDS = """

from nexus.ai.agents import CredentialError


class Creds(EchoAgent):
    async def process(self, input):
        try:
            if input == "key":
                return await self.credentials.api_key("github")
            if input.startswith("token:"):
                return await self.credentials.oauth_token(input[6:], scopes=["read"])
            return await self.credentials.api_key(input)
        except CredentialError as exc:
            return {"status": exc.status, "message": exc.message}
"""
VALUE = "ghp-test-0123456789"


def run(emu: Emu, text: str) -> object:
    r = emu.client.post("/agents/creds/run", json={"input": text})
    assert r.status_code == 200, r.text
    return r.json()["output"]


def workload_of(emu: Emu, agent: str) -> str:
    """A workload token of another agent, signed with the issuer's own key."""
    folder = emu.home / "identity"
    kid = next(k["kid"] for k in json.loads((folder / "keys.json").read_text()))
    key: Any = serialization.load_pem_private_key((folder / f"{kid}.pem").read_bytes(), None)
    now = int(time.time())
    claims = {
        "iss": emu.url,
        "sub": f"agent:{agent}:development",
        "aud": "nexus:platform",
        "iat": now,
        "exp": now + 60,
        "agent": agent,
        "scope": "platform",
    }
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid})


def test_agent_uses_its_credentials(emu: Emu, tmp_path: Path) -> None:
    oauth = TokenEndpoint("nexus-client", "s3cret")
    try:
        put = emu.client.put(
            "/v1/agents/creds/credentials/github", json={"kind": "api_key", "api_key": VALUE}
        )
        assert put.status_code == 200, put.text
        client = {"kind": "oauth2", "token_url": oauth.url, "client_id": "nexus-client"}
        emu.client.put(
            "/v1/agents/creds/credentials/crm", json={**client, "client_secret": "s3cret"}
        ).raise_for_status()
        emu.client.put(
            "/v1/agents/creds/credentials/wrong", json={**client, "client_secret": "guess"}
        ).raise_for_status()
        listed = emu.client.get("/v1/agents/creds/credentials")
        assert [(c["name"], c["kind"]) for c in listed.json()] == [
            ("crm", "oauth2"),
            ("github", "api_key"),
            ("wrong", "oauth2"),
        ]
        assert VALUE not in listed.text
        assert "s3cret" not in listed.text

        project = write_agent(tmp_path / "creds", extra=CREDS)
        events = emu.deploy("creds", project, project={"entrypoint": "agent:Creds"})
        assert events[-1]["event"] == "result", events

        assert run(emu, "key") == VALUE
        assert run(emu, "token:crm") == "at-1-read"
        assert run(emu, "token:crm") == "at-1-read"  # cached: the endpoint was asked once
        assert oauth.hits == 1
        missing = run(emu, "nope")
        assert isinstance(missing, dict)
        assert missing["status"] == 404
        refused = run(emu, "token:wrong")
        assert isinstance(refused, dict)
        assert refused["status"] == 502
        assert "invalid_client" in refused["message"]
    finally:
        oauth.close()

    # only a replica's own workload token reaches its own agent's credentials
    url = emu.url + "/v1/platform/credentials/github/api-key"
    other = httpx.get(url, headers={"Authorization": f"Bearer {workload_of(emu, 'other')}"})
    assert other.status_code == 404
    admin = httpx.get(
        url, headers={"Authorization": f"Bearer {(emu.home / 'token').read_text().strip()}"}
    )
    assert admin.status_code == 403
    mine = httpx.get(url, headers={"Authorization": f"Bearer {workload_of(emu, 'creds')}"})
    assert mine.json() == {"api_key": VALUE}

    # at rest: ciphertext only
    db = sqlite3.connect(emu.home / "state.db")
    blobs = b"".join(row[0] for row in db.execute("SELECT ciphertext FROM credentials"))
    assert VALUE.encode() not in blobs
    assert b"s3cret" not in blobs
    gone = emu.client.delete("/v1/agents/creds/credentials/github")
    assert gone.json()["deleted"] is True
    assert run(emu, "key") == {"status": 404, "message": "creds has no credential named 'github'"}
