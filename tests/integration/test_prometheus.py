"""A real Prometheus server (Debian's ``prometheus``) scrapes the emulator's /metrics and
answers PromQL on ``agent_requests_total``."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.cli_support import free_port
from tests.emulator.conftest import Emu, running_emulator, write_agent

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emu]:
    with running_emulator(tmp_path, free_port(), "process") as e:
        yield e


@dataclass
class Prometheus:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def query(self, promql: str) -> list[dict[str, Any]]:
        assert self.proc.poll() is None, self.log.read_text()
        try:
            answer = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5)
        except httpx.TransportError:
            return []  # not listening yet
        if answer.status_code != 200:
            return []  # starting up (503)
        body = answer.json()
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result


@pytest.fixture
def prometheus(tmp_path: Path, emu: Emu) -> Iterator[Prometheus]:
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n"
        "  scrape_interval: 1s\n"
        "  evaluation_interval: 1s\n"
        "scrape_configs:\n"
        "  - job_name: nexus\n"
        "    metrics_path: /metrics\n"
        "    static_configs:\n"
        f"      - targets: ['127.0.0.1:{emu.port}']\n"
    )
    port = free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield Prometheus(f"http://127.0.0.1:{port}", proc, tmp_path / "prometheus.log")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_prometheus_scrapes_agent_requests_total(
    emu: Emu, prometheus: Prometheus, tmp_path: Path
) -> None:
    events = emu.deploy("echo", write_agent(tmp_path / "echo"))
    assert events[-1]["event"] == "result", events
    for i in range(3):
        answer = emu.client.post("/agents/echo/run", json={"input": f"n{i}"})
        assert answer.status_code == 200, answer.text

    promql = 'sum(agent_requests_total{job="nexus",agent="echo",env="development"})'
    deadline = time.monotonic() + 60  # the first answer comes ~6 s after the server starts
    while True:
        result = prometheus.query(promql)
        if result and float(result[0]["value"][1]) == 3:
            break
        assert time.monotonic() < deadline, (result, prometheus.log.read_text())
        time.sleep(0.5)
    [up] = prometheus.query('up{job="nexus"}')
    assert up["value"][1] == "1"
    assert up["metric"]["instance"] == f"127.0.0.1:{emu.port}"
    by_outcome = prometheus.query('agent_requests_total{agent="echo"}')
    assert {r["metric"]["outcome"] for r in by_outcome} == {"ok"}
