"""Serve a LangGraph graph as a Nexus agent.

    from langgraph.graph import StateGraph, MessagesState, START, END
    from nexus.ai.agents.adapters.langgraph import LangGraphAgent

    class MyAgent(LangGraphAgent):
        graph = build().compile()      # or override build_graph(self)

Text input becomes ``{"messages": [("user", text)]}``; an object is passed as
the graph's input state. The answer is the last message's text when the state
has messages, else the final state made JSON-safe. The request's session id is
the ``thread_id``, so a graph compiled with a checkpointer keeps a conversation
per session.
"""

from __future__ import annotations

from typing import Any

from nexus.ai.agents._agent import Agent
from nexus.ai.agents._context import Context


class LangGraphAgent(Agent):
    graph: Any = None

    def build_graph(self) -> Any:
        """The compiled graph to serve (default: the ``graph`` class attribute)."""
        if self.graph is None:
            raise RuntimeError(
                f"{type(self).__name__} has no graph: set `graph = builder.compile()` "
                "or override build_graph()"
            )
        return self.graph

    def _compiled(self) -> Any:
        compiled = self.__dict__.get("_nexus_graph")
        if compiled is None:
            compiled = self.build_graph()
            self.__dict__["_nexus_graph"] = compiled
        return compiled

    async def process(self, input: Any, context: Context) -> Any:  # type: ignore[override]
        state = {"messages": [("user", input)]} if isinstance(input, str) else input
        config = {"configurable": {"thread_id": context.session_id or context.request_id}}
        result = await self._compiled().ainvoke(state, config=config)
        return answer_of(result)


def answer_of(state: Any) -> Any:
    """The reply in a final state: the last message's text, else the state, JSON-safe."""
    if isinstance(state, dict) and state.get("messages"):
        return text_of(state["messages"][-1])
    return jsonable(state)


def text_of(message: Any) -> Any:
    content = getattr(message, "content", message)
    if isinstance(content, list):  # content blocks: keep their text
        parts = [b.get("text", "") if isinstance(b, dict) else str(b) for b in content]
        return "".join(parts)
    return content if isinstance(content, str) else jsonable(content)


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "content"):
        return text_of(value)
    return str(value)
