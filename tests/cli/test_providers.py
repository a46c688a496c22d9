"""`nexus ai provider list`, --provider / NEXUS_PROVIDER and the NEXUS_PROVIDERS pin."""

from __future__ import annotations

import json

from tests.cli.cli_support import Platform, nexus


def test_provider_list_reads_metadata(offline: Platform) -> None:
    result = offline("ai", "provider", "list")
    assert result.code == 0, result.out
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["NAME", "VERSION", "MODULE", "ENABLED"]
    assert ["*", "local", "0.1.0", "nexus_local.provider:LocalProvider", "yes"] in [
        r.split() for r in rows
    ]


def test_provider_list_verbose_and_json_show_capabilities(offline: Platform) -> None:
    verbose = offline("ai", "provider", "list", "--verbose")
    flowed = " ".join(verbose.stdout.split())  # the column may wrap with more providers
    assert (
        "async, autoscale, deploy, egress, logs, logs-follow, metrics, rollback, run, scale, "
        "secrets, stream, traces" in flowed
    )
    data = json.loads(offline("--json", "ai", "provider", "list").stdout)
    local = next(p for p in data if p["name"] == "local")
    assert local["selected"]
    assert local["enabled"]
    assert {"deploy", "run", "rollback"} <= set(local["capabilities"])


def test_unknown_provider_lists_the_known_ones(offline: Platform) -> None:
    for args, env in (
        (["--provider", "lcoal", "ai", "agent", "list"], offline.env),
        (["ai", "agent", "list"], {**offline.env, "NEXUS_PROVIDER": "nope"}),
    ):
        result = nexus(*args, env=env)
        assert result.code == 2, result.out
        assert "unknown provider" in result.stderr
        assert "known providers: agentcore, kubernetes, local, swarm" in result.stderr
    assert "did you mean 'local'?" in offline("--provider", "lcoal", "ai", "agent", "list").stderr


def test_pinned_providers(offline: Platform) -> None:
    env = {**offline.env, "NEXUS_PROVIDERS": "swarm"}
    result = nexus("ai", "agent", "list", env=env)
    assert result.code == 2, result.out
    assert "provider 'local' is not enabled by NEXUS_PROVIDERS=swarm" in result.stderr
    listing = nexus("ai", "provider", "list", env=env)
    assert ["*", "local", "0.1.0", "nexus_local.provider:LocalProvider", "no"] in [
        r.split() for r in listing.stdout.splitlines()
    ]
