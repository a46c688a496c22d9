"""`nexus ai agent credential set | list | delete`: values in through stdin, never out."""

from __future__ import annotations

import json

from tests.cli.cli_support import Platform


def test_credential_commands(platform: Platform) -> None:
    key = platform("ai", "agent", "credential", "set", "vaulted", "github", "--api-key", "-",
                   stdin="ghp-secret-value\n")  # fmt: skip
    assert key.code == 0, key.out
    assert key.stdout.strip() == "Set credential github (api_key)."
    client = platform("ai", "agent", "credential", "set", "vaulted", "crm", "--oauth2",
                      "--token-url", "https://idp.example/token", "--client-id", "nexus",
                      "--client-secret", "-", stdin="client-secret-value")  # fmt: skip
    assert client.code == 0, client.out
    table = platform("ai", "agent", "credential", "list", "vaulted")
    assert table.code == 0, table.out
    assert "github  api_key" in table.stdout
    assert "crm     oauth2" in table.stdout
    listed = platform("ai", "agent", "credential", "list", "vaulted", "--json")
    assert [c["name"] for c in json.loads(listed.stdout)] == ["crm", "github"]
    for result in (key, client, table, listed):
        assert "ghp-secret-value" not in result.out
        assert "client-secret-value" not in result.out
    gone = platform("ai", "agent", "credential", "delete", "vaulted", "github")
    assert gone.stdout.strip() == "Deleted credential github (api_key)."


def test_credential_errors(platform: Platform) -> None:
    neither = platform("ai", "agent", "credential", "set", "vaulted", "x")
    assert neither.code == 2
    assert "give either --api-key or --oauth2" in neither.stderr
    partial = platform("ai", "agent", "credential", "set", "vaulted", "x", "--oauth2",
                       "--client-id", "id")  # fmt: skip
    assert partial.code == 2
    assert "--oauth2 needs --token-url, --client-id and --client-secret" in partial.stderr
    bad_name = platform("ai", "agent", "credential", "set", "vaulted", "Bad Name",
                        "--api-key", "v")  # fmt: skip
    assert bad_name.code == 2
    assert "invalid credential name" in bad_name.stderr
    missing = platform("ai", "agent", "credential", "delete", "vaulted", "nothing")
    assert missing.code == 2
    assert "has no credential named 'nothing'" in missing.stderr
