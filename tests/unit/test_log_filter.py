"""The one log filter the emulator and the CLI apply (nexus_api.logs)."""

from __future__ import annotations

from nexus_api.logs import Filter, level_name

REC = {
    "time": 1000.0,
    "level": "WARN",
    "msg": "slow upstream",
    "traceback": "Traceback ...\nTimeoutError: read timed out",
    "request_id": "3f2a9c0011",
    "replica": "pid:4242",
}


def test_levels_compare_in_python_words() -> None:
    assert level_name("WARN") == "warning"
    assert level_name(None) == "info"
    assert Filter.of("warning").keep(REC)
    assert not Filter.of("ERROR").keep(REC)
    assert Filter.of("error").keep({**REC, "level": "fatal"})


def test_since_request_grep_replica_and_version() -> None:
    assert Filter.of(since=999.0).keep(REC)
    assert not Filter.of(since=1001.0).keep(REC)
    assert Filter.of(since=1001.0).keep({**REC, "time": None})  # untimed lines stay
    assert Filter.of(request="3f2a").keep(REC)
    assert not Filter.of(request="4f").keep(REC)
    assert not Filter.of(request="3f").keep({k: v for k, v in REC.items() if k != "request_id"})
    assert Filter.of(grep="TIMED OUT").keep(REC)  # the traceback is searched too
    assert not Filter.of(grep="refused").keep(REC)
    assert Filter.of(replica="pid:42").keep(REC)
    assert not Filter.of(replica="pid:7").keep(REC)
    assert not Filter.of(version="1.0.0").keep({**REC, "version": "2.0.0"})
    assert Filter.of(version="1.0.0").keep(REC)  # a record that does not say is kept


def test_narrows_says_when_the_tail_is_not_enough() -> None:
    assert not Filter.of().narrows
    assert not Filter.of(replica="x").narrows  # the emulator picks replicas, not records
    assert Filter.of("error").narrows
    assert Filter.of(grep="x").narrows
