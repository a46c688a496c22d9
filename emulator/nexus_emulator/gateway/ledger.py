"""What each invocation spent at the gateway, until the invocation chain reads it.

The chain opens an entry when it relays a call (``open``) and takes it once when
the call ends (``take``: ``metadata.tokens_used``, ``agent_tokens_total``). A
replica's model calls carry the request id it was called with
(``X-Nexus-Request-Id``, sent by ``self.llm``); the gateway adds their tokens
under the calling agent and that id. A call without the header (a framework's
own client) goes to the agent's only open invocation when it has exactly one;
otherwise it is ``unattributed`` (counted per agent, in no invocation). Entries
nobody takes are dropped, oldest first, past ``LIMIT``.
"""

from __future__ import annotations

from collections import Counter, OrderedDict

LIMIT = 10_000


class Ledger:
    def __init__(self) -> None:
        # an invocation's tokens per model; None until the gateway counts some for it (most
        # calls reach no model: no Counter is made for them)
        self._open: OrderedDict[tuple[str, str], Counter[str] | None] = OrderedDict()
        self._by_agent: dict[str, set[str]] = {}

    def open(self, agent: str, request_id: str) -> None:
        self._open.setdefault((agent, request_id), None)
        running = self._by_agent.get(agent)
        if running is None:
            running = self._by_agent[agent] = set()
        running.add(request_id)
        if len(self._open) > LIMIT:
            while len(self._open) > LIMIT:
                (old_agent, old_id), _ = self._open.popitem(last=False)
                self._by_agent.get(old_agent, set()).discard(old_id)

    def add(self, agent: str, request_id: str | None, model: str, tokens: int) -> bool:
        """Count tokens for an invocation; False when none of the agent's could take them."""
        if request_id is None:
            running = self._by_agent.get(agent, set())
            if len(running) != 1:
                return False
            request_id = next(iter(running))
        key = (agent, request_id)
        if key not in self._open:
            return False
        spent = self._open[key]
        if spent is None:
            spent = self._open[key] = Counter()
        spent[model] += tokens
        return True

    def take(self, agent: str, request_id: str) -> Counter[str] | None:
        """Tokens per model spent for this invocation (None when none), forgotten after."""
        running = self._by_agent.get(agent)
        if running is not None:
            running.discard(request_id)
            if not running:
                del self._by_agent[agent]
        return self._open.pop((agent, request_id), None)
