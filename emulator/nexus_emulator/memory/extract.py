"""Extraction strategies: long-term records drawn from a session's turns, in the
background, through the gateway's model (the offline one answers deterministically).

An agent opts in per strategy (``PUT …/memory/…/strategies``). After each append
to a session, one task per session (a second append meanwhile runs it once more)
reads the session's last 50 turns and asks the model, as the agent (quotas and
audit apply, the subject is ``memory:<strategy>``):

- ``summary``: ``summarize: <every turn's text>`` → one record in
  ``/users/{actor}/summaries`` keyed by the session (replaced as it grows);
- ``preferences``: ``extract preferences: <the user's turns>`` → a JSON list, one
  record each in ``/users/{actor}/preferences``;
- ``facts``: ``extract facts: <the user's turns>`` → ``/users/{actor}/facts``;
- ``custom``: ``<the agent's custom_prompt>`` and the user's turns on the next
  line → a JSON list of strings (any other answer: the answer itself, one record)
  in ``/users/{actor}/custom``. The offline model answers it from its fixtures
  file (``docs/gateway.md``), else echoes it.

A preference or fact is keyed by a digest of its lower-cased words, so the same
statement made twice stays one record (consolidated: the first wording is kept, the
source events of both are merged). Each record's ``data`` holds
``{"strategy", "session", "source_events": [event ids it came from]}``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from nexus_api.memory import Event

if TYPE_CHECKING:
    from nexus_emulator.gateway.service import Gateway
    from nexus_emulator.memory.store import Memory

log = logging.getLogger("nexus_emulator.memory")
STRATEGIES = ("summary", "preferences", "facts", "custom")
WINDOW = 50


class Extractor:
    def __init__(self, memory: Memory, gateway: Gateway) -> None:
        self.memory = memory
        self.gateway = gateway
        self._running: dict[tuple[str, str, str], asyncio.Task[None]] = {}
        self._again: set[tuple[str, str, str]] = set()

    def after_append(self, agent: str, actor: str, session: str) -> None:
        if not self.memory.strategies(agent):
            return
        key = (agent, actor, session)
        if key in self._running:
            self._again.add(key)
            return
        self._running[key] = asyncio.get_running_loop().create_task(self._run(key))

    async def idle(self) -> None:
        """Wait until no extraction runs (tests, shutdown)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def close(self) -> None:
        for task in self._running.values():
            task.cancel()
        await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def _run(self, key: tuple[str, str, str]) -> None:
        try:
            while True:
                self._again.discard(key)
                try:
                    self.extract(*key)
                except Exception:  # one failed extraction must not stop the next
                    log.exception("memory extraction failed for %s", key)
                if key not in self._again:
                    return
                await asyncio.sleep(0)
        finally:
            self._running.pop(key, None)

    def extract(self, agent: str, actor: str, session: str) -> None:
        turns = self.memory.events(agent, actor, session, last=WINDOW, turns=True)
        said = [t for t in turns if t.role == "user"]
        chosen = self.memory.extraction(agent)
        for strategy in chosen.strategies:
            if strategy == "summary":
                text = self._ask(agent, strategy, "summarize: " + _joined(turns))
                if text.strip():
                    self._put(agent, actor, session, strategy, text, turns, key=session)
            elif said:
                if strategy == "custom":
                    prompt = f"{chosen.custom_prompt}\n{_joined(said)}"
                else:
                    prompt = f"extract {strategy}: {_joined(said)}"
                for item in _items(self._ask(agent, strategy, prompt)):
                    digest = hashlib.sha256(" ".join(item.lower().split()).encode()).hexdigest()
                    sources = [t for t in said if item in " ".join((t.text or "").split())]
                    self._put(agent, actor, session, strategy, item, sources, key=digest[:16])

    def _ask(self, agent: str, strategy: str, prompt: str) -> str:
        from nexus_emulator.gateway.offline import CHAT_MODEL
        from nexus_emulator.gateway.service import Caller

        caller = Caller(agent, "development", None, f"memory:{strategy}")
        model = self.gateway.model(CHAT_MODEL, "chat")
        done, _ = self.gateway.complete(
            caller, model, [{"role": "user", "content": prompt}], None, None
        )
        return done.text

    def _put(
        self,
        agent: str,
        actor: str,
        session: str,
        strategy: str,
        text: str,
        sources: list[Event],
        key: str,
    ) -> None:
        namespace = f"/users/{actor}/{'summaries' if strategy == 'summary' else strategy}"
        events = [e.id for e in sources]
        known = self.memory.find(agent, namespace, key) if strategy != "summary" else None
        if known is not None:  # the same statement again: one record, its sources merged
            text = known.text
            before = known.data.get("source_events", []) if isinstance(known.data, dict) else []
            events = sorted({*before, *events})
        data: dict[str, Any] = {"strategy": strategy, "session": session, "source_events": events}
        self.memory.put(agent, namespace, text, key, data)


def _joined(turns: list[Event]) -> str:
    parts = [" ".join((t.text or "").split()) for t in turns]
    return " ".join(p if p.endswith((".", "!", "?")) else p + "." for p in parts if p)


def _items(answer: str) -> list[str]:
    """A JSON list's strings; any other non-empty answer as the one item."""
    try:
        items = json.loads(answer)
    except ValueError:
        items = None
    if isinstance(items, list):
        return [i for i in items if isinstance(i, str) and i.strip()]
    return [answer.strip()] if answer.strip() else []
