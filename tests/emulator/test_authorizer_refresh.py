"""An agent's external issuer is kept without its keys (identity/authorizers.json); each
start fetches them again from the issuer, over real HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path

from nexus_emulator.identity.external import Authorizers, discover

from tests.emulator.issuer_support import SecondIssuer


def test_a_start_fetches_each_issuers_keys_again(tmp_path: Path) -> None:
    (tmp_path / "identity").mkdir()
    second = SecondIssuer()
    try:
        found = asyncio.run(
            discover(second.url + "/.well-known/openid-configuration", ["echo-api"], [])
        )
        Authorizers(tmp_path).set("echo", found)

        restarted = Authorizers(tmp_path)
        restarted.load()
        kept = restarted.get("echo")
        assert kept is not None
        assert kept.keys == {}  # the file holds no keys
        asyncio.run(restarted.refresh())
        assert sorted(kept.keys) == ["second-1"]
        assert restarted.verify("echo", second.token()).subject == "carol"
    finally:
        second.server.shutdown()


def test_a_start_without_issuers_fetches_nothing(tmp_path: Path) -> None:
    nobody = Authorizers(tmp_path)
    nobody.load()
    asyncio.run(nobody.refresh())
    assert nobody.get("echo") is None
