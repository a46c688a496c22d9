"""`nexus ai token create` and `nexus ai identity keys | rotate-keys` against a real emulator."""

from __future__ import annotations

import json

import httpx

from tests.cli.cli_support import Platform
from tests.emulator.issuer_support import SecondIssuer


def _run(platform: Platform, name: str, token: str) -> httpx.Response:
    return httpx.post(
        f"http://127.0.0.1:{platform.emulator.port}/agents/{name}/run",
        json={"input": "hi"},
        headers={"Authorization": f"bearer {token}"},
        timeout=60,
    )


def test_token_create_runs_only_its_agent(platform: Platform, deployed: str) -> None:
    made = platform("ai", "token", "create", "--sub", "alice", "--scope", "agents:invoke",
                    "--agent", deployed, "--ttl", "15m")  # fmt: skip
    assert made.code == 0, made.out
    token = made.stdout.strip()
    assert token.count(".") == 2
    assert "\n" not in token
    assert "Token for alice (agents:invoke, agent echo-agent), expires in 900 s" in made.stderr
    assert _run(platform, deployed, token).status_code == 200
    status = platform("ai", "agent", "status", deployed)
    assert f"identity   agent:{deployed}:development" in status.stdout
    other = _run(platform, "someone-else", token)
    assert other.status_code == 403
    assert "for agent 'echo-agent'" in other.text

    as_json = platform("ai", "token", "create", "--sub", "bob", "--scope", "agents:invoke",
                       "--json")  # fmt: skip
    claims = json.loads(as_json.stdout)["claims"]
    assert claims["sub"] == "bob"
    assert "agent" not in claims
    assert claims["exp"] - claims["iat"] == 3600


def test_token_create_errors(platform: Platform) -> None:
    bad_ttl = platform("ai", "token", "create", "--sub", "a", "--scope", "agents:invoke",
                       "--ttl", "soon")  # fmt: skip
    assert bad_ttl.code == 2
    assert "--ttl 'soon' is not a duration" in bad_ttl.stderr
    too_long = platform("ai", "token", "create", "--sub", "a", "--scope", "agents:invoke",
                        "--ttl", "2d")  # fmt: skip
    assert too_long.code == 2
    assert "longer than the longest token lifetime" in too_long.stderr
    bad_scope = platform("ai", "token", "create", "--sub", "a", "--scope", "root", "--json")
    assert bad_scope.code == 2
    assert json.loads(bad_scope.stdout)["error"]["message"] == "unknown scope 'root'"
    bad_agent = platform("ai", "token", "create", "--sub", "a", "--scope", "agents:invoke",
                         "--agent", "Not_A_Name")  # fmt: skip
    assert bad_agent.code == 2
    missing = platform("ai", "token", "create", "--scope", "agents:invoke")
    assert missing.code == 2
    assert "--sub" in missing.stderr


def test_rotate_keys(platform: Platform, deployed: str) -> None:
    before = platform("ai", "token", "create", "--sub", "a", "--scope", "agents:invoke").stdout
    keys = json.loads(platform("ai", "identity", "keys", "--json").stdout)
    rotated = platform("ai", "identity", "rotate-keys")
    assert rotated.code == 0
    assert "New signing key" in rotated.stdout
    after = json.loads(platform("ai", "identity", "keys", "--json").stdout)
    assert {k["kid"] for k in keys} < {k["kid"] for k in after}
    assert [k["signing"] for k in after].count(True) == 1
    table = platform("ai", "identity", "keys")
    assert "retired (still verifies)" in table.stdout
    assert "signing" in table.stdout
    assert _run(platform, deployed, before.strip()).status_code == 200


def test_authorizer_commands(platform: Platform, deployed: str) -> None:
    second = SecondIssuer()
    try:
        discovery = second.url + "/.well-known/openid-configuration"
        made = platform("ai", "agent", "authorizer", "set", deployed, "--discovery-url", discovery,
                        "--audience", "echo-api")  # fmt: skip
        assert made.code == 0, made.out
        assert f"{deployed} accepts tokens of {second.url}" in made.stdout
        ok = _run(platform, deployed, second.token(client_id=None))
        assert ok.status_code == 200, ok.text
        shown = json.loads(platform("ai", "agent", "authorizer", "show", deployed, "--json").stdout)
        assert shown["key_ids"] == ["second-1"]
        gone = platform("ai", "agent", "authorizer", "delete", deployed)
        assert gone.code == 0, gone.out
        assert "no longer trusts" in gone.stdout
        assert _run(platform, deployed, second.token()).status_code == 401
    finally:
        second.server.shutdown()
    nothing = platform("ai", "agent", "authorizer", "set", deployed, "--discovery-url", "x")
    assert nothing.code == 2
    assert "at least one allowed audience or client" in nothing.stderr
    down = platform("ai", "agent", "authorizer", "set", deployed, "--discovery-url", discovery,
                    "--client", "web")  # fmt: skip
    assert down.code == 2
    assert "cannot read the discovery document" in down.stderr
    missing = platform("ai", "agent", "authorizer", "show", deployed)
    assert missing.code == 2
    assert "trusts no external issuer" in missing.stderr
