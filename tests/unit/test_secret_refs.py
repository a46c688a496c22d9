"""NEXUS_SECRET_ARNS that cannot be read stop the agent's start with one message."""

from __future__ import annotations

import os

import pytest

from nexus.ai.agents import _secret_refs


def test_absent_is_nothing_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEXUS_SECRET_ARNS", raising=False)
    assert _secret_refs.load() is None


@pytest.mark.parametrize(
    ("raw", "said"),
    [("{not json", "is not JSON"), ('["arn"]', "is not a JSON object of NAME: ARN")],
)
def test_malformed_references_are_named(
    monkeypatch: pytest.MonkeyPatch, raw: str, said: str
) -> None:
    monkeypatch.setenv("NEXUS_SECRET_ARNS", raw)
    assert _secret_refs.load() == f"NEXUS_SECRET_ARNS {said}"
    assert "NEXUS_SECRET_ARNS" not in os.environ  # read once, not passed on to the agent
