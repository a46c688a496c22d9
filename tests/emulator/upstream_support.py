"""A small OpenAI-compatible chat server on loopback: the gateway's upstream in tests.

The upstream model name picks the behaviour: ``up-echo`` answers the last message
upper-cased with its own usage (prompt 7, completion 3), ``up-nousage`` the same
without usage, ``up-fail`` HTTP 500, ``up-slow`` answers after 3 s, ``up-limited``
HTTP 429 with ``Retry-After: 7``. ``/v1/embeddings`` answers any model but ``up-fail``
(see ``_embed``; ``up-letters`` counts each text's letters a-z, so texts that share
letters are near); the texts it embedded are kept in ``embedded``. Streams send one
chunk per word (then a usage chunk when asked). Every Authorization header seen is
kept in ``keys``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.emulator.http_support import JsonHandler, serve


class OpenAIUpstream:
    def __init__(self) -> None:
        self.keys: list[str] = []
        self.embedded: list[str] = []
        upstream = self

        class Handler(JsonHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body: dict[str, Any] = json.loads(self.rfile.read(length))
                upstream.keys.append(self.headers.get("Authorization", ""))
                model = str(body.get("model"))
                if self.path == "/v1/embeddings" and model != "up-fail":
                    self._embed(body)
                    return
                if self.path not in ("/v1/chat/completions", "/v1/embeddings"):
                    self.answer(404, {"error": {"message": f"no {self.path}"}})
                    return
                if model == "up-fail":
                    self.answer(500, {"error": {"message": "the upstream broke"}})
                    return
                if model == "up-limited":
                    data = b'{"error": {"message": "slow down"}}'
                    self.send_response(429)
                    self.send_header("Retry-After", "7")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if model == "up-slow":
                    time.sleep(3)
                text = str(body["messages"][-1]["content"]).upper()
                usage = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
                if body.get("stream"):
                    self._stream(model, text, usage, body)
                    return
                answer: dict[str, Any] = {
                    "id": "up-1",
                    "object": "chat.completion",
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                }
                if model != "up-nousage":
                    answer["usage"] = usage
                self.answer(200, answer)

            def _embed(self, body: dict[str, Any]) -> None:
                """[length, position, dimensions asked] per text, listed last to first (the
                gateway orders them by ``index``); 4 prompt tokens a text."""
                texts = [body["input"]] if isinstance(body["input"], str) else body["input"]
                upstream.embedded += texts
                if body["model"] == "up-letters":
                    vectors = [[float(t.lower().count(c)) for c in "abcdefghijklmnopqrstuvwxyz"]
                               for t in texts]  # fmt: skip
                    used = {"prompt_tokens": len(texts), "total_tokens": len(texts)}
                    data = [{"object": "embedding", "index": i, "embedding": v}
                            for i, v in enumerate(vectors)]  # fmt: skip
                    self.answer(200, {"object": "list", "data": data, "usage": used})
                    return
                data = [
                    {"object": "embedding", "index": i,
                     "embedding": [float(len(t)), float(i), float(body.get("dimensions", 0))]}
                    for i, t in enumerate(texts)
                ][::-1]  # fmt: skip
                usage = {"prompt_tokens": 4 * len(texts), "total_tokens": 4 * len(texts)}
                self.answer(200, {"object": "list", "data": data, "usage": usage})

            def _stream(self, model: str, text: str, usage: dict[str, int], body: Any) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                frames: list[dict[str, Any]] = [
                    {"model": model, "choices": [{"index": 0, "delta": {"content": w}}]}
                    for w in text.split(" ")
                ]
                if (body.get("stream_options") or {}).get(
                    "include_usage"
                ) and model != "up-nousage":
                    frames.append({"model": model, "choices": [], "usage": usage})
                for frame in frames:
                    self.wfile.write(b"data: " + json.dumps(frame).encode() + b"\n\n")
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.close_connection = True

        self.server, base = serve(Handler)
        self.url = base + "/v1"

    def close(self) -> None:
        self.server.shutdown()
