"""Peer servers for the concurrent benchmark, run from the peers' virtualenv (bench/.peers).

Each serves the same trivial agent as examples/hello (a greeting that counts words):
  agentcore   a bare ``BedrockAgentCoreApp`` (PyPI ``bedrock-agentcore``) on its own uvicorn
  langgraph   a one-node graph under ``langgraph dev`` (PyPI ``langgraph-cli[inmem]``)
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from _common import PEERS, stop_process

AGENTCORE_APP = """
import sys
from bedrock_agentcore import BedrockAgentCoreApp

app = BedrockAgentCoreApp()


@app.entrypoint
def invoke(payload):
    words = len(str(payload.get("input", "")).split())
    return {"output": f"Hello there! Your message has {words} words."}


app.run(port=int(sys.argv[1]), host="127.0.0.1")
"""

LANGGRAPH_GRAPH = """
from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    input: str
    output: str


def hello(state: State) -> State:
    words = len(str(state.get("input", "")).split())
    return {"output": f"Hello there! Your message has {words} words."}


builder = StateGraph(State)
builder.add_node("hello", hello)
builder.add_edge(START, "hello")
builder.add_edge("hello", END)
graph = builder.compile()
"""


@dataclass
class Peer:
    """A running peer server: where to POST and what."""

    label: str
    proc: subprocess.Popen[bytes]
    port: int
    path: str
    body: bytes
    log: BinaryIO

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def stop(self) -> None:
        stop_process(self.proc)
        self.log.close()


def available() -> bool:
    return bool((PEERS / "bin" / "langgraph").exists() and (PEERS / "bin" / "python").exists())


def _wait(peer: Peer, timeout: float = 60.0) -> Peer:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if peer.proc.poll() is not None:
            raise SystemExit(f"{peer.label} exited ({peer.proc.returncode}); see {peer.log.name}")
        conn = http.client.HTTPConnection("127.0.0.1", peer.port, timeout=2)
        try:
            conn.request("POST", peer.path, body=peer.body, headers=_json())
            if conn.getresponse().status == 200:
                return peer
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.1)
    peer.stop()
    raise SystemExit(f"{peer.label} did not answer within {timeout:.0f} s; see {peer.log.name}")


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}


def start_agentcore(tmp: Path, port: int, body: bytes) -> Peer:
    app = tmp / "agentcore_app.py"
    app.write_text(AGENTCORE_APP)
    log = (tmp / "agentcore.log").open("ab")
    proc = subprocess.Popen(
        [str(PEERS / "bin" / "python"), str(app), str(port)], stdout=log, stderr=log
    )
    return _wait(Peer("AgentCore app (uvicorn)", proc, port, "/invocations", body, log))


def start_langgraph(tmp: Path, port: int, text: str) -> Peer:
    project = tmp / "langgraph"
    project.mkdir()
    (project / "graph.py").write_text(LANGGRAPH_GRAPH)
    config = {"dependencies": ["."], "graphs": {"agent": "./graph.py:graph"}}
    (project / "langgraph.json").write_text(json.dumps(config))
    env = {**os.environ, "LANGGRAPH_CLI_NO_ANALYTICS": "1", "LANGSMITH_TRACING": "false"}
    env.pop("VIRTUAL_ENV", None)
    argv = [str(PEERS / "bin" / "langgraph"), "dev", "--no-browser", "--no-reload"]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    log = (tmp / "langgraph.log").open("ab")
    proc = subprocess.Popen(argv, cwd=project, env=env, stdout=log, stderr=log)
    body = json.dumps({"assistant_id": "agent", "input": {"input": text}}).encode()
    return _wait(Peer("langgraph dev", proc, port, "/runs/wait", body, log))
