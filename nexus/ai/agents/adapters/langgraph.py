"""Serve a LangGraph graph as a Nexus agent.

    from langgraph.graph import StateGraph, MessagesState, START, END
    from nexus.ai.agents.adapters.langgraph import LangGraphAgent

    class MyAgent(LangGraphAgent):
        graph = build().compile()      # or override build_graph(self)

Text input becomes ``{"messages": [("user", text)]}``; an object is passed as
the graph's input state. The answer is the last message's text when the state
has messages, else the final state made JSON-safe. The request's session id is
the ``thread_id`` and its actor the ``user_id`` (``config["configurable"]``), so a
graph compiled with a checkpointer keeps a conversation per session.

``nexus_memory = True`` gives the graph the agent's Nexus memory by configuration
only: a graph (or a ``StateGraph``, compiled then) without its own checkpointer or
store gets ``NexusCheckpointer()`` and ``NexusStore()`` (``langgraph_memory.py``),
so a conversation continues across replicas and restarts, per session and actor.
"""

from __future__ import annotations

from typing import Any

from nexus.ai.agents._agent import Agent
from nexus.ai.agents._context import Context


class LangGraphAgent(Agent):
    graph: Any = None
    nexus_memory: bool = False  # True: checkpointer and store backed by Nexus memory

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
            if self.nexus_memory:
                compiled = with_nexus_memory(compiled)
            self.__dict__["_nexus_graph"] = compiled
        return compiled

    async def process(self, input: Any, context: Context) -> Any:  # type: ignore[override]
        state = {"messages": [("user", input)]} if isinstance(input, str) else input
        from nexus.ai.memory import current_actor

        thread = context.session_id or context.request_id
        config = {"configurable": {"thread_id": thread, "user_id": current_actor()}}
        result = await self._compiled().ainvoke(state, config=config)
        return answer_of(result)


def with_nexus_memory(graph: Any) -> Any:
    """The graph compiled (or copied) with Nexus memory where it has no checkpointer or
    store of its own."""
    from nexus.ai.agents.adapters.langgraph_memory import NexusCheckpointer, NexusStore

    if hasattr(graph, "compile"):  # a StateGraph not compiled yet
        return graph.compile(checkpointer=NexusCheckpointer(), store=NexusStore())
    update: dict[str, Any] = {}
    if graph.checkpointer is None:
        update["checkpointer"] = NexusCheckpointer()
    if graph.store is None:
        update["store"] = NexusStore()
    return graph.copy(update=update) if update else graph


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
