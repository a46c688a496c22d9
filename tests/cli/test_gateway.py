"""`nexus ai gateway models | quota set | quota show | audit | usage`, against a real
emulator; one model call made with a workload token shows up in audit and usage."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import httpx

from tests.cli.cli_support import Platform
from tests.emulator.test_api_credentials import workload_of


def test_gateway_commands(platform: Platform) -> None:
    models = platform("ai", "gateway", "models")
    assert models.code == 0, models.out
    assert "nexus-offline" in models.stdout
    assert "embedding" in models.stdout

    set_ = platform("ai", "gateway", "quota", "set", "gw-cli", "--rpm", "60",
                    "--daily-tokens", "1000", "--log-content")  # fmt: skip
    assert set_.code == 0, set_.out
    assert "requests/min  60" in set_.stdout
    assert "log content   on" in set_.stdout
    shown = platform("ai", "gateway", "quota", "show", "gw-cli", "--json")
    quota = json.loads(shown.stdout)["quota"]
    assert (quota["requests_per_minute"], quota["tokens_per_day"]) == (60, 1000)
    cleared = platform("ai", "gateway", "quota", "set", "gw-cli", "--rpm", "none", "--json")
    assert json.loads(cleared.stdout)["quota"]["requests_per_minute"] is None
    assert platform("ai", "gateway", "usage", "gw-cli").stdout.strip() == (
        "gw-cli has made no model calls yet."
    )

    em: Any = SimpleNamespace(
        home=platform.emulator.home, url=platform.emulator.url(platform.emulator.port)
    )
    token = workload_of(em, "gw-cli")
    answer = httpx.post(
        em.url + "/v1/platform/gateway/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "hello world"}]},
        headers={"Authorization": f"Bearer {token}", "X-Nexus-Request-Id": "cli-req"},
    )
    assert answer.status_code == 200, answer.text
    audit = platform("ai", "gateway", "audit", "--agent", "gw-cli", "--since", "1h", "--json")
    rows = json.loads(audit.stdout)
    assert [(r["model"], r["tokens_in"], r["status"]) for r in rows] == [("nexus-offline", 2, 200)]
    assert rows[0]["prompt"] == "hello world"  # --log-content keeps it
    table = platform("ai", "gateway", "audit", "--agent", "gw-cli")
    assert "cli-req" in table.stdout
    usage = platform("ai", "gateway", "usage", "gw-cli")
    assert "development" in usage.stdout
    doc = json.loads(platform("ai", "gateway", "usage", "gw-cli", "--json").stdout)
    assert doc["environments"]["development"]["tokens_today"] == 4


def test_gateway_command_errors(platform: Platform) -> None:
    bad = platform("ai", "gateway", "quota", "set", "gw-cli", "--rpm", "-3")
    assert bad.code == 2
    assert "--rpm '-3' is not a positive whole number" in bad.stderr
    nothing = platform("ai", "gateway", "quota", "set", "gw-cli")
    assert nothing.code == 2
    assert "nothing to change" in nothing.stderr
    limit = platform("ai", "gateway", "audit", "--limit", "0")
    assert limit.code == 2
    since = platform("ai", "gateway", "audit", "--since", "soon")
    assert since.code == 2
    assert "is not a duration" in since.stderr
    name = platform("ai", "gateway", "usage", "Bad Name")
    assert name.code == 2


def test_gateway_model_commands(platform: Platform) -> None:
    from tests.emulator.upstream_support import OpenAIUpstream

    upstream = OpenAIUpstream()
    try:
        added = platform("ai", "gateway", "model", "add", "gpt-cli", "--url", upstream.url,
                         "--upstream-model", "up-echo", "--credential", "openai",
                         "--fallback", "nexus-offline")  # fmt: skip
        assert added.code == 0, added.out
        assert added.stdout.strip() == (
            f"gpt-cli -> openai up-echo at {upstream.url}, key: each agent's credential "
            "'openai', falls back to nexus-offline."
        )
        nova = platform("ai", "gateway", "model", "add", "nova-cli", "--api", "bedrock",
                        "--region", "eu-west-1", "--upstream-model", "amazon.nova-lite-v1:0",
                        "--credential", "aws")  # fmt: skip
        assert nova.code == 0, nova.out
        assert nova.stdout.strip() == (
            "nova-cli -> bedrock amazon.nova-lite-v1:0 at bedrock's endpoint in eu-west-1, "
            "key: each agent's credential 'aws'."
        )
        pigeon = platform("ai", "gateway", "model", "add", "x", "--api", "pigeon",
                          "--upstream-model", "m")  # fmt: skip
        assert pigeon.code == 2
        assert "provider" in pigeon.stderr
        urlless = platform("ai", "gateway", "model", "add", "x", "--upstream-model", "m")
        assert urlless.code == 2
        assert "an openai route needs the upstream's url" in urlless.stderr
        listed = platform("ai", "gateway", "models")
        assert "gpt-cli" in listed.stdout
        assert "up-echo" in listed.stdout
        bad = platform("ai", "gateway", "model", "add", "gpt-x", "--url", "nope",
                       "--upstream-model", "m")  # fmt: skip
        assert bad.code == 2
        assert "url" in bad.stderr
        removed = platform("ai", "gateway", "model", "remove", "gpt-cli")
        assert removed.stdout.strip() == "Removed model gpt-cli."
        again = platform("ai", "gateway", "model", "remove", "gpt-cli")
        assert again.code == 2
        assert "no routed model named 'gpt-cli'" in again.stderr
    finally:
        upstream.close()
