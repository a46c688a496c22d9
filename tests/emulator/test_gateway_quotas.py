"""Gateway quotas and audit on real SQLite: the token buckets with a clock the test
moves (so the figures are exact), budgets, the concurrency cap, restarts."""

from __future__ import annotations

from pathlib import Path

import pytest
from nexus_emulator.gateway.errors import GatewayError
from nexus_emulator.gateway.quotas import Quotas
from nexus_emulator.store import Store

from nexus_api.gateway import Quota

AUDIT = {"principal": "agent:bot:development", "model": "nexus-offline", "provider": "offline"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def outcomes(quotas: Quotas, n: int, tokens: int = 0) -> list[int]:
    statuses = []
    for _ in range(n):
        try:
            call = quotas.admit("bot", "development", dict(AUDIT))
        except GatewayError as exc:
            statuses.append(exc.status)
            continue
        quotas.finish(call, 200, tokens, 0)
        statuses.append(200)
    return statuses


def test_sixty_a_minute_burst_of_two_hundred(tmp_path: Path) -> None:
    clock = Clock()
    store = Store(tmp_path / "state.db")
    quotas = Quotas(store.conn, clock)
    quotas.set("bot", "development", {"requests_per_minute": 60})
    burst = outcomes(quotas, 200)
    assert burst.count(200) == 60
    assert burst.count(429) == 140
    with pytest.raises(GatewayError) as refused:
        quotas.admit("bot", "development", dict(AUDIT))
    assert refused.value.headers["retry-after"] == "1"
    assert refused.value.headers["x-ratelimit-remaining-requests"] == "0"
    clock.now += 10
    assert outcomes(quotas, 50).count(200) == 10
    rows = quotas.audit("bot", None, 1000)
    assert len(rows) == 251  # every call, admitted or refused, has its row
    assert sum(r["status"] == 200 for r in rows) == 70
    store.close()

    # the counters survive a restart: the bucket is still empty, then refills
    store = Store(tmp_path / "state.db")
    again = Quotas(store.conn, clock)
    assert outcomes(again, 5) == [429] * 5
    clock.now += 3
    assert outcomes(again, 5).count(200) == 3
    assert again.get("bot", "development").requests_per_minute == 60
    store.close()


def test_tokens_per_minute_and_budgets(tmp_path: Path) -> None:
    clock = Clock()
    store = Store(tmp_path / "state.db")
    quotas = Quotas(store.conn, clock)
    quotas.set("bot", "development", {"tokens_per_minute": 100})
    assert outcomes(quotas, 3, tokens=60) == [200, 200, 429]  # 100 - 60 - 60 < 0
    clock.now += 15  # +25: still at -20 + 25 = 5 > 0
    assert outcomes(quotas, 1, tokens=60) == [200]

    quotas.set("bot", "staging", {"tokens_per_day": 100, "tokens_per_month": 180})
    staging = [quotas.admit("bot", "staging", dict(AUDIT)) for _ in range(2)]
    for call in staging:
        quotas.finish(call, 200, 30, 30)
    with pytest.raises(GatewayError) as spent:
        quotas.admit("bot", "staging", dict(AUDIT))
    assert (spent.value.status, spent.value.kind) == (403, "quota_exceeded")
    clock.now += 86_400  # a new UTC day: the daily budget starts again...
    call = quotas.admit("bot", "staging", dict(AUDIT))
    quotas.finish(call, 200, 50, 20)
    with pytest.raises(GatewayError) as month:  # ...but the month's 180 are spent
        quotas.admit("bot", "staging", dict(AUDIT))
    assert "month" in month.value.message
    usage = quotas.usage("bot")["staging"]
    assert (usage["calls"], usage["tokens_in"], usage["tokens_out"]) == (5, 110, 80)
    assert usage["refused"] == 2
    store.close()


def test_concurrency_cap_and_content_logging(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    quotas = Quotas(store.conn, Clock())
    quotas.set("bot", "development", {"concurrency": 2})
    first, second = (quotas.admit("bot", "development", dict(AUDIT)) for _ in range(2))
    with pytest.raises(GatewayError) as busy:
        quotas.admit("bot", "development", dict(AUDIT))
    assert (busy.value.status, busy.value.kind) == (429, "busy")
    quotas.finish(first, 200, 1, 1, ("the prompt", "the answer"))
    quotas.finish(second, 200, 1, 1)
    assert quotas.audit("bot", None)[-2]["prompt"] is None  # not kept unless enabled
    quotas.set("bot", "development", {"log_content": True})
    call = quotas.admit("bot", "development", dict(AUDIT))
    quotas.finish(call, 200, 1, 1, ("the prompt", "the answer"))
    last = quotas.audit("bot", None)[-1]
    assert (last["prompt"], last["completion"]) == ("the prompt", "the answer")
    store.close()


@pytest.mark.parametrize(
    "change",
    [
        {"requests_per_minute": 0},
        {"requests_per_minute": -5},
        {"tokens_per_day": 1.5},
        {"tokens_per_month": "lots"},
        {"concurrency": True},
        {"log_content": "yes"},
        {"per_fortnight": 3},
    ],
)
def test_nonsense_quota_values(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each message is checked in the API test
        Quota.model_validate(change)
