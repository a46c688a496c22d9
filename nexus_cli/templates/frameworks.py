"""``agent.py`` of each framework template (``{cls}`` and ``{name}`` are filled in).

Model calls go through the platform's gateway: the replica's OPENAI_* and
ANTHROPIC_* variables point at it, and the model defaults to the gateway's
offline model (``AGENT_MODEL`` picks another one routed by the gateway).
"""

PLAIN = '''\
"""The {name} agent."""

from nexus.ai.agents import Agent


class {cls}(Agent):
    async def process(self, input: str):
        # self.context carries the request's context, e.g. {{"user_id": "123"}}.
        user = self.context.user_id or "there"
        return f"Hello {{user}}, you said: {{input}}"
'''

LANGGRAPH = '''\
"""The {name} agent: a LangGraph graph (no model needed) served by Nexus."""

from langgraph.graph import END, START, MessagesState, StateGraph

from nexus.ai.agents.adapters.langgraph import LangGraphAgent


def reply(state: MessagesState) -> dict:
    text = str(state["messages"][-1].content)
    return {{"messages": [("ai", f"{name} heard {{len(text.split())}} words: {{text}}")]}}


def build() -> StateGraph:
    graph = StateGraph(MessagesState)
    graph.add_node("reply", reply)
    graph.add_edge(START, "reply")
    graph.add_edge("reply", END)
    return graph


class {cls}(LangGraphAgent):
    # the request's session id is the thread_id: compile with a checkpointer to keep
    # a conversation per session
    graph = build().compile()
'''

OPENAI_AGENTS = '''\
"""The {name} agent: an OpenAI Agents SDK agent served by Nexus."""

import os

from agents import Agent as SdkAgent
from agents import Runner, set_default_openai_api, set_tracing_disabled

from nexus.ai.agents import Agent

# The platform's gateway speaks Chat Completions; traces stay on the platform.
set_default_openai_api("chat_completions")
set_tracing_disabled(True)

assistant = SdkAgent(
    name="{name}",
    instructions="You are a helpful assistant. Answer briefly.",
    model=os.environ.get("AGENT_MODEL", "nexus-offline"),
)


class {cls}(Agent):
    async def process(self, input: str) -> str:
        result = await Runner.run(assistant, input)
        return str(result.final_output)
'''

CREWAI = '''\
"""The {name} agent: a CrewAI crew served by Nexus."""

import os

from crewai import LLM, Crew, Process, Task
from crewai import Agent as CrewAgent

from nexus.ai.agents import Agent

llm = LLM(
    model="openai/" + os.environ.get("AGENT_MODEL", "nexus-offline"),
    base_url=os.environ.get("OPENAI_BASE_URL"),
    api_key=os.environ.get("OPENAI_API_KEY"),
)

writer = CrewAgent(
    role="Assistant",
    goal="Answer the user's question briefly and correctly",
    backstory="You help people with short, clear answers.",
    llm=llm,
)

answer = Task(
    description="Answer this question: {{question}}",
    expected_output="A short answer.",
    agent=writer,
)


class {cls}(Agent):
    async def process(self, input: str) -> str:
        crew = Crew(agents=[writer], tasks=[answer], process=Process.sequential)
        result = await crew.kickoff_async(inputs={{"question": input}})
        return result.raw
'''

ADK = '''\
"""The {name} agent: a Google ADK agent served by Nexus."""

import os

from google.adk.agents import Agent as AdkAgent
from google.adk.models.lite_llm import LiteLlm
from google.adk.runners import InMemoryRunner
from google.genai import types

from nexus.ai.agents import Agent

APP = "{name}"

root_agent = AdkAgent(
    name="{pkg}",
    # LiteLLM reaches the platform's gateway through OPENAI_BASE_URL / OPENAI_API_KEY
    model=LiteLlm(model="openai/" + os.environ.get("AGENT_MODEL", "nexus-offline")),
    instruction="You are a helpful assistant. Answer briefly.",
)


class {cls}(Agent):
    def __init__(self) -> None:
        super().__init__()
        self.runner = InMemoryRunner(agent=root_agent, app_name=APP)

    async def process(self, input: str) -> str:
        user = self.context.user_id or "user"
        sessions = self.runner.session_service
        session_id = self.context.session_id
        session = None
        if session_id:
            session = await sessions.get_session(app_name=APP, user_id=user, session_id=session_id)
        if session is None:
            session = await sessions.create_session(
                app_name=APP, user_id=user, session_id=session_id
            )
        message = types.Content(role="user", parts=[types.Part(text=input)])
        reply = ""
        async for event in self.runner.run_async(
            user_id=user, session_id=session.id, new_message=message
        ):
            if event.is_final_response() and event.content and event.content.parts:
                reply = "".join(part.text or "" for part in event.content.parts)
        return reply
'''

CLAUDE = '''\
"""The {name} agent: Claude through Anthropic's SDK, served by Nexus."""

import os

from anthropic import AsyncAnthropic

from nexus.ai.agents import Agent

# ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY point at the platform's gateway.
MODEL = os.environ.get("AGENT_MODEL", "nexus-offline")


class {cls}(Agent):
    def __init__(self) -> None:
        super().__init__()
        self.client = AsyncAnthropic()

    async def process(self, input: str) -> str:
        message = await self.client.messages.create(
            model=MODEL,
            max_tokens=1024,
            system="You are a helpful assistant. Answer briefly.",
            messages=[{{"role": "user", "content": input}}],
        )
        return "".join(block.text for block in message.content if block.type == "text")
'''

AGENTCORE = '''\
"""The {name} agent, written for the Bedrock AgentCore runtime and served by Nexus as is.

Nexus serves the same contract (POST /invocations, GET /ping): the entrypoint in
nexus.toml is the function below, and `python agent.py` runs it with AgentCore's
own server.
"""

from bedrock_agentcore.runtime import BedrockAgentCoreApp

app = BedrockAgentCoreApp()


@app.entrypoint
def invoke(payload, context=None):
    prompt = payload.get("prompt", "") if isinstance(payload, dict) else str(payload)
    session = getattr(context, "session_id", None)
    return {{"result": f"{name} got: {{prompt}}", "session": session}}


if __name__ == "__main__":
    app.run()
'''
