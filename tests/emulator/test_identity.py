"""The emulator as an OIDC issuer and JWT inbound auth on the data plane (RFC 8725).

A real emulator (process runtime) on loopback; tokens minted by its API, and hostile
ones forged here with the issuer's own key file or a key of our own. Every refused
call answers 401/403 with a reason, and the agent never runs for it (it counts its
calls in a file).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.emulator.conftest import Emu, start_emulator, write_agent
from tests.emulator.issuer_support import SecondIssuer

COUNTING = """

import os


class Counting(EchoAgent):
    async def process(self, input):
        with open(os.environ["COUNT_FILE"], "a") as fh:
            fh.write("x")
        caller = self.context.caller
        return {
            "echo": input,
            "caller": caller and [caller.subject, caller.kind, list(caller.scopes)],
        }
"""


@pytest.fixture(scope="module")
def idemu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emu, Path]]:
    root = tmp_path_factory.mktemp("identity")
    home = root / "home"
    home.mkdir()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    emu = start_emulator(home, port, "process")
    count = root / "calls"
    count.write_text("")
    try:
        emu.client.put("/v1/agents/echo/secrets/COUNT_FILE", json={"value": str(count)})
        project = write_agent(root / "echo", extra=COUNTING)
        events = emu.deploy("echo", project, project={"entrypoint": "agent:Counting"})
        assert events[-1]["event"] == "result", events
        yield emu, count
    finally:
        emu.client.post("/v1/admin/reset", timeout=120)
        emu.stop()


def mint(emu: Emu, **body: Any) -> str:
    body.setdefault("sub", "alice")
    body.setdefault("scopes", ["agents:invoke"])
    r = emu.client.post("/v1/identity/tokens", json=body)
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def signing_key(emu: Emu) -> tuple[str, Any]:
    folder = emu.home / "identity"
    index = json.loads((folder / "keys.json").read_text())
    kid = next(k["kid"] for k in reversed(index) if k["retired_at"] is None)
    pem = (folder / f"{kid}.pem").read_bytes()
    return kid, serialization.load_pem_private_key(pem, password=None)


def forge(emu: Emu, headers: dict[str, Any] | None = None, key: Any = None, **claims: Any) -> str:
    """A token signed with the issuer's own key (or ``key``) and the claims given."""
    kid, own = signing_key(emu)
    now = int(time.time())
    payload = {
        "iss": emu.url,
        "sub": "mallory",
        "aud": "nexus:api",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "scope": "agents:invoke admin",
        **claims,
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(
        payload, key or own, algorithm="ES256", headers={"kid": kid, **(headers or {})}
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def call(emu: Emu, authorization: str | None, path: str = "/agents/echo/run") -> httpx.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return httpx.post(emu.url + path, json={"input": "hi"}, headers=headers, timeout=30)


def test_discovery_jwks_and_key_files(idemu: tuple[Emu, Path]) -> None:
    emu, _ = idemu
    conf = httpx.get(emu.url + "/.well-known/openid-configuration").json()
    assert conf["issuer"] == emu.url
    info = emu.client.get("/v1/info").json()
    assert info["issuer"] == emu.url
    assert info["platform_url"] == emu.url  # process replicas share the host's loopback
    assert conf["id_token_signing_alg_values_supported"] == ["ES256"]
    keys = httpx.get(conf["jwks_uri"]).json()["keys"]
    kid, private = signing_key(emu)
    assert [k["kid"] for k in keys] == [kid]
    assert keys[0]["kty"] == "EC"
    assert "d" not in keys[0]
    public = jwt.PyJWK(keys[0]).key
    numbers = private.public_key().public_numbers()
    assert public.public_numbers() == numbers
    folder = emu.home / "identity"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_minted_token_runs_its_agent_and_the_agent_sees_the_caller(
    idemu: tuple[Emu, Path],
) -> None:
    emu, count = idemu
    token = mint(emu, sub="alice", agent="echo", ttl=300)
    before = count.read_text()
    r = call(emu, f"Bearer {token}")
    assert r.status_code == 200, r.text
    assert r.json()["output"]["caller"] == ["alice", "caller", ["agents:invoke"]]
    assert count.read_text() == before + "x"
    # the scheme is case-insensitive (RFC 7235), for JWTs and the admin credential
    assert call(emu, f"bearer {token}").status_code == 200
    admin = (emu.home / "token").read_text().strip()
    assert httpx.get(
        emu.url + "/v1/agents", headers={"Authorization": f"BEARER {admin}"}
    ).is_success
    out = call(emu, f"bearer {admin}").json()["output"]
    assert out["caller"] == ["admin", "admin", ["admin"]]
    # expired 30 s ago: within the 60 s leeway
    assert call(emu, f"Bearer {forge(emu, exp=int(time.time()) - 30)}").status_code == 200
    # streaming and tasks take the same token
    s = httpx.post(
        emu.url + "/agents/echo/stream",
        json={"input": "s"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert s.status_code == 200
    assert '"done": true' in s.text
    t = httpx.post(
        emu.url + "/agents/echo/tasks",
        json={"input": "t"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert t.status_code == 202, t.text
    task = t.json()["task_id"]
    seen: dict[str, Any] = {}
    for _ in range(200):  # the async run sees the caller that submitted it
        got = httpx.get(emu.url + f"/v1/tasks/{task}", headers={"Authorization": f"Bearer {token}"})
        assert got.status_code == 200
        seen = got.json()
        if seen["status"] == "succeeded":
            break
        time.sleep(0.05)
    assert seen["result"]["caller"] == ["alice", "caller", ["agents:invoke"]]
    other = mint(emu, sub="bob", agent="other")
    denied = httpx.get(emu.url + f"/v1/tasks/{task}", headers={"Authorization": f"Bearer {other}"})
    assert denied.status_code == 403
    assert "for agent 'other'" in denied.json()["error"]["message"]
    # a token for the same agent but another user: not alice's task
    bob = mint(emu, sub="bob", agent="echo")
    theirs = httpx.get(emu.url + f"/v1/tasks/{task}", headers={"Authorization": f"Bearer {bob}"})
    assert theirs.status_code == 403
    assert "submitted by someone else" in theirs.json()["error"]["message"]
    cancel = httpx.post(
        emu.url + f"/v1/tasks/{task}/cancel", headers={"Authorization": f"Bearer {bob}"}
    )
    assert cancel.status_code == 403
    assert emu.client.get(f"/v1/tasks/{task}").status_code == 200  # the admin reads any


def _refusals(emu: Emu) -> list[tuple[str, str, int, str]]:
    """(case, Authorization header, status, words of the reason)."""
    kid, own = signing_key(emu)
    now = int(time.time())
    valid = mint(emu, agent="echo")
    head, body, sig = valid.split(".")
    none_head = b64(json.dumps({"alg": "none", "kid": kid, "typ": "JWT"}).encode())
    hs_head = b64(json.dumps({"alg": "HS256", "kid": kid, "typ": "JWT"}).encode())
    pem = own.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    hs_sig = b64(hmac.new(pem, f"{hs_head}.{body}".encode(), hashlib.sha256).digest())
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    tampered = b64(json.dumps({**claims, "agent": "echo", "sub": "root"}).encode())
    stranger = ec.generate_private_key(ec.SECP256R1())
    workload = forge(emu, aud="nexus:platform", sub="agent:echo:development", scope="platform")
    return [
        ("alg none", f"Bearer {none_head}.{body}.", 401, "algorithm 'none'"),
        ("HS256 with the public key", f"Bearer {hs_head}.{body}.{hs_sig}", 401, "'HS256'"),
        ("wrong iss", f"Bearer {forge(emu, iss='http://evil.example')}", 401, "wrong issuer"),
        ("wrong aud", f"Bearer {forge(emu, aud='someone-else')}", 401, "wrong audience"),
        ("expired", f"Bearer {forge(emu, exp=now - 120)}", 401, "expired"),
        ("nbf future", f"Bearer {forge(emu, nbf=now + 300)}", 401, "not valid yet"),
        ("unknown kid", f"Bearer {forge(emu, {'kid': 'nope'}, stranger)}", 401, "unknown key id"),
        (
            "jku elsewhere",
            f"Bearer {forge(emu, {'jku': 'http://127.0.0.2/jwks.json'}, stranger)}",
            401,
            "'jku' header",
        ),
        (
            "x5u elsewhere",
            f"Bearer {forge(emu, {'x5u': 'http://127.0.0.2/cert.pem'})}",
            401,
            "'x5u' header",
        ),
        ("stranger's key", f"Bearer {forge(emu, key=stranger)}", 401, "signature"),
        ("another agent", f"Bearer {mint(emu, agent='other')}", 403, "for agent 'other'"),
        ("tampered payload", f"Bearer {head}.{tampered}.{sig}", 401, "signature"),
        ("no Bearer prefix", valid, 401, "must be 'Bearer <token>'"),
        ("no header", "", 401, "no Authorization header"),
        ("not a JWT", "Bearer garbage", 401, "wrong bearer token"),
        ("no invoke scope", f"Bearer {forge(emu, scope='')}", 403, "lacks the agents:invoke"),
        ("workload on the data plane", f"Bearer {workload}", 403, "workload token"),
    ]


def test_refused_tokens_never_reach_the_agent(idemu: tuple[Emu, Path]) -> None:
    emu, count = idemu
    before = count.read_text()
    for case, authorization, status, reason in _refusals(emu):
        r = call(emu, authorization or None)
        assert r.status_code == status, (case, r.text)
        error = r.json()["error"]
        assert error["code"] == ("unauthorized" if status == 401 else "forbidden"), case
        assert reason in error["message"], (case, error)
        if status == 401:
            assert r.headers["www-authenticate"].startswith("Bearer error="), case
    assert count.read_text() == before, "a refused call reached the agent"


def test_control_plane_needs_admin(idemu: tuple[Emu, Path]) -> None:
    emu, _ = idemu
    caller = mint(emu, agent="echo")
    workload = forge(emu, aud="nexus:platform", sub="agent:echo:development", scope="platform")
    checks = [
        ("POST", "/v1/agents/echo/scale", {"env": "development", "replicas": 2}),
        ("POST", "/v1/agents/echo/rollback", {"env": "development"}),
        ("PUT", "/v1/agents/echo/secrets/X", {"value": "1"}),
        ("GET", "/v1/agents/echo/secrets", None),
        ("POST", "/v1/agents/echo/deployments", {}),
        ("GET", "/v1/agents/echo/logs", None),
        ("POST", "/v1/identity/tokens", {"sub": "me", "scopes": ["admin"]}),
        ("POST", "/v1/identity/rotate-keys", None),
    ]
    for method, path, body in checks:
        for token, reason in ((caller, "needs the admin scope"), (workload, "workload token")):
            r = httpx.request(
                method, emu.url + path, json=body, headers={"Authorization": f"Bearer {token}"}
            )
            assert r.status_code == 403, (method, path, r.text)
            assert reason in r.json()["error"]["message"]
    admin_jwt = mint(emu, sub="ops", scopes=["admin"])
    ok = httpx.get(
        emu.url + "/v1/agents/echo/secrets", headers={"Authorization": f"Bearer {admin_jwt}"}
    )
    assert ok.status_code == 200


def test_rotation_without_restart(idemu: tuple[Emu, Path]) -> None:
    emu, _ = idemu
    old_kid, _key = signing_key(emu)
    before = mint(emu, agent="echo")
    rotated = emu.client.post("/v1/identity/rotate-keys").json()
    assert rotated["kid"] != old_kid
    assert old_kid in rotated["published"]
    after = mint(emu, agent="echo")
    assert jwt.get_unverified_header(after)["kid"] == rotated["kid"]
    kids = {k["kid"] for k in httpx.get(emu.url + "/.well-known/jwks.json").json()["keys"]}
    assert {old_kid, rotated["kid"]} <= kids
    assert call(emu, f"Bearer {before}").status_code == 200  # signed by the retired key
    assert call(emu, f"Bearer {after}").status_code == 200
    listed = emu.client.get("/v1/identity/keys").json()
    assert [k["signing"] for k in listed if k["kid"] in (old_kid, rotated["kid"])] == [False, True]


def test_token_requests_are_checked(idemu: tuple[Emu, Path]) -> None:
    emu, _ = idemu
    for body, words in (
        ({"sub": "a", "scopes": ["root"]}, "unknown scope"),
        ({"sub": "a", "scopes": ["agents:invoke"], "ttl": 10**6}, "longest token lifetime"),
        ({"sub": "a", "scopes": ["agents:invoke"], "agent": "Bad_Name"}, ""),
    ):
        r = emu.client.post("/v1/identity/tokens", json=body)
        assert r.status_code == 400, r.text
        assert words in r.json()["error"]["message"]


def test_an_agent_trusts_an_external_issuer(idemu: tuple[Emu, Path]) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    emu, count = idemu
    second = SecondIssuer()
    try:
        body = {
            "discovery_url": second.url + "/.well-known/openid-configuration",
            "audiences": ["echo-api"],
            "clients": ["web"],
        }
        set_ = emu.client.put("/v1/agents/echo/authorizer", json=body)
        assert set_.status_code == 200, set_.text
        assert set_.json()["issuer"] == second.url
        assert set_.json()["key_ids"] == ["second-1"]
        before = count.read_text()

        ok = call(emu, f"Bearer {second.token()}")
        assert ok.status_code == 200, ok.text
        assert ok.json()["output"]["caller"] == ["carol", "external", ["openid"]]
        assert count.read_text() == before + "x"

        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        refused = [
            (second.token(aud="other-api"), 401, "wrong audience"),
            (second.token(client_id="evil"), 401, "client 'evil' is not allowed"),
            (second.token(key=stranger), 401, "signature"),
            (second.token(exp=int(time.time()) - 120), 401, "expired"),
        ]
        for token, status, reason in refused:
            r = call(emu, f"Bearer {token}")
            assert r.status_code == status, r.text
            assert reason in r.json()["error"]["message"]
        # trusted by echo only: not by another agent, not on the control plane
        other = call(emu, f"Bearer {second.token()}", "/agents/other/run")
        assert other.status_code == 401
        control = httpx.get(
            emu.url + "/v1/agents", headers={"Authorization": f"Bearer {second.token()}"}
        )
        assert control.status_code == 401
        assert count.read_text() == before + "x"

        assert emu.client.get("/v1/agents/echo/authorizer").json()["audiences"] == ["echo-api"]
        assert emu.client.delete("/v1/agents/echo/authorizer").status_code == 200
        assert call(emu, f"Bearer {second.token()}").status_code == 401
    finally:
        second.server.shutdown()
    bad = emu.client.put(
        "/v1/agents/echo/authorizer",
        json={"discovery_url": second.url + "/.well-known/openid-configuration", "clients": ["w"]},
    )
    assert bad.status_code == 404  # nothing usable at that URL (the issuer is gone)
    assert "discovery document" in bad.json()["error"]["message"]
