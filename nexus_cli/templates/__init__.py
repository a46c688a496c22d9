"""Project templates of ``nexus ai agent init --template NAME``.

Each template is an ``agent.py``, the dependencies nexus.toml lists for it and
a line for the README. ``plain`` and ``langgraph`` are deployed and run by the
test suite; the others are checked to be written and to parse, since their
frameworks are not installed where the tests run (docs/templates.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from nexus_cli.templates import frameworks


@dataclass(frozen=True)
class Template:
    agent_py: str
    dependencies: tuple[str, ...]
    about: str
    entrypoint: str = "agent:{cls}"
    model: bool = False  # calls a model through the platform's gateway


TEMPLATES: dict[str, Template] = {
    "plain": Template(frameworks.PLAIN, (), "a plain Nexus agent, no framework"),
    "langgraph": Template(
        frameworks.LANGGRAPH, ("langgraph>=1.0",), "a LangGraph graph (no model needed)"
    ),
    "openai-agents": Template(
        frameworks.OPENAI_AGENTS,
        ("openai-agents>=0.2",),
        "an OpenAI Agents SDK agent",
        model=True,
    ),
    "crewai": Template(frameworks.CREWAI, ("crewai>=0.100",), "a CrewAI crew", model=True),
    "adk": Template(
        frameworks.ADK,
        ("google-adk>=1.0", "litellm>=1.70"),
        "a Google ADK agent (model through LiteLLM)",
        model=True,
    ),
    "claude": Template(
        frameworks.CLAUDE,
        ("anthropic>=0.60",),
        "Claude through Anthropic's SDK",
        model=True,
    ),
    "agentcore": Template(
        frameworks.AGENTCORE,
        ("bedrock-agentcore>=0.1",),
        "a Bedrock AgentCore entrypoint, served as is",
        entrypoint="agent:invoke",
    ),
}


def names() -> list[str]:
    return list(TEMPLATES)
