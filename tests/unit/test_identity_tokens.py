"""The issuer's keys and the verifier's caches, in process (no HTTP): a cached token never
outlives its expiry, rotation keeps old tokens valid, the auth step parses the header."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest
from nexus_emulator.identity import tokens
from nexus_emulator.identity.guard import Refused, bearer
from nexus_emulator.identity.keys import LEEWAY, MAX_TOKEN_TTL
from nexus_emulator.identity.service import Identity


@pytest.fixture
def identity(tmp_path: Path) -> Identity:
    return Identity(tmp_path, "http://127.0.0.1:8470", "admin-credential")


def test_a_cached_token_is_refused_once_expired(
    identity: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, claims = identity.issuer.mint("alice", ["agents:invoke"], ttl=5)
    assert identity.verifier.verify(token).subject == "alice"  # verified, now cached
    later = claims["exp"] + LEEWAY + 1
    monkeypatch.setattr("nexus_emulator.identity.tokens.time.time", lambda: later)
    with pytest.raises(tokens.InvalidToken, match="expired"):
        identity.verifier.verify(token)


def test_rotation_keeps_old_tokens_until_the_key_is_dropped(
    identity: Identity, tmp_path: Path
) -> None:
    old, _ = identity.issuer.mint("alice", ["agents:invoke"])
    new_key, dropped = identity.keys.rotate()
    assert dropped == []
    assert identity.verifier.verify(old).subject == "alice"
    fresh, _ = identity.issuer.mint("bob", ["agents:invoke"])
    assert f'"kid":"{new_key.kid}"' in _header(fresh)
    # a key retired longer ago than the longest token lifetime is dropped at the next rotation
    index = json.loads((tmp_path / "identity" / "keys.json").read_text())
    index[0]["retired_at"] = time.time() - MAX_TOKEN_TTL - LEEWAY - 1
    (tmp_path / "identity" / "keys.json").write_text(json.dumps(index))
    identity.keys.load()
    assert identity.keys.public_key(index[0]["kid"]) is None
    assert not (tmp_path / "identity" / f"{index[0]['kid']}.pem").exists()
    with pytest.raises(tokens.InvalidToken, match="unknown key id"):
        identity.verifier.verify(old)
    for path in (tmp_path / "identity").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_bearer_scheme_in_any_case() -> None:
    assert bearer(b"Bearer abc") == "abc"
    assert bearer(b"bearer abc") == "abc"
    assert bearer(b"BEARER   abc ") == "abc"
    for bad in (b"", b"abc", b"Basic abc", b"Bearer", b"Bearer "):
        with pytest.raises(Refused) as refused:
            bearer(bad)
        assert refused.value.status == 401


def test_the_admin_credential_and_a_caller_token(identity: Identity) -> None:
    guard = identity.guard
    assert guard.check("POST", "/v1/agents/x/scale", b"Bearer admin-credential").is_admin
    token, _ = identity.issuer.mint("alice", ["agents:invoke"], agent="x")
    header = f"Bearer {token}".encode()
    assert guard.check("POST", "/agents/x/run", header).subject == "alice"
    with pytest.raises(Refused, match="needs the admin scope"):
        guard.check("POST", "/v1/agents/x/scale", header)
    with pytest.raises(Refused, match="for agent 'x', not 'y'"):
        guard.check("POST", "/v1/agents/y/stream", header)


def _header(token: str) -> str:
    import base64

    return base64.urlsafe_b64decode(token.split(".")[0] + "==").decode().replace(" ", "")
