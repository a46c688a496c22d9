"""A LangGraph graph served by Nexus: route the question, then answer it (no model needed)."""

from __future__ import annotations

from langgraph.graph import END, START, MessagesState, StateGraph

from nexus.ai.agents.adapters.langgraph import LangGraphAgent


class State(MessagesState):
    topic: str


def route(state: State) -> dict[str, str]:
    text = str(state["messages"][-1].content).lower()
    return {"topic": "math" if any(ch.isdigit() for ch in text) else "chat"}


def math(state: State) -> dict[str, list[tuple[str, str]]]:
    numbers = [int(tok) for tok in str(state["messages"][-1].content).split() if tok.isdigit()]
    return {"messages": [("ai", f"The sum is {sum(numbers)}.")]}


def chat(state: State) -> dict[str, list[tuple[str, str]]]:
    words = len(str(state["messages"][-1].content).split())
    return {"messages": [("ai", f"You said {words} words; ask me to add numbers.")]}


def build() -> StateGraph:
    graph = StateGraph(State)
    graph.add_node("route", route)
    graph.add_node("math", math)
    graph.add_node("chat", chat)
    graph.add_edge(START, "route")
    graph.add_conditional_edges("route", lambda s: s["topic"], {"math": "math", "chat": "chat"})
    graph.add_edge("math", END)
    graph.add_edge("chat", END)
    return graph


class GraphAgent(LangGraphAgent):
    graph = build().compile()
