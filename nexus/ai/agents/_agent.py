"""The ``Agent`` base class user code subclasses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nexus.ai.agents._context import Context, current_context

if TYPE_CHECKING:
    from nexus.ai.agents._credentials import Credentials
    from nexus.ai.llm import LLM
    from nexus.ai.memory import Memory

_LLM_ATTR = "_nexus_llm"
_CREDENTIALS_ATTR = "_nexus_credentials"
_MEMORY_ATTR = "_nexus_memory"


class Agent:
    """Subclass it and define ``process``.

    ``async def process(self, input)`` (or a plain ``def``, run in a worker
    thread) returns text or any JSON-able value; an async generator (or a
    plain generator) streams its chunks. A second parameter, when present,
    receives the request's :class:`Context`.

    The base class keeps no state of its own, so a subclass's ``__init__``
    need not call ``super().__init__()``.
    """

    @property
    def context(self) -> Context:
        """The context of the request being processed."""
        ctx = current_context()
        if ctx is None:
            raise RuntimeError(
                "self.context is only set while the runtime processes a request "
                "(start the agent with `python -m nexus.ai.agents.serve module:Class`)"
            )
        return ctx

    @property
    def workload_token(self) -> str | None:
        """This replica's workload token: a short-lived JWT of the service account
        ``agent:<name>:<env>``, refreshed by the platform (None when not deployed)."""
        from nexus.ai.agents._platform import workload_token

        return workload_token()

    @property
    def credentials(self) -> Credentials:
        """The agent's outbound credentials: ``await self.credentials.api_key("github")``,
        ``await self.credentials.oauth_token("crm", scopes=[...])``."""
        client: Credentials | None = self.__dict__.get(_CREDENTIALS_ATTR)
        if client is None:
            from nexus.ai.agents._credentials import Credentials

            client = Credentials()
            self.__dict__[_CREDENTIALS_ATTR] = client
        return client

    @property
    def memory(self) -> Memory:
        """The agent's memory: ``await self.memory.add_turns(...)``, ``last_turns(k)``,
        ``search(query)``, ``put/get/delete`` records (see ``nexus.ai.memory``)."""
        client: Memory | None = self.__dict__.get(_MEMORY_ATTR)
        if client is None:
            from nexus.ai.memory import Memory

            client = Memory()
            self.__dict__[_MEMORY_ATTR] = client
        return client

    @property
    def platform_url(self) -> str | None:
        """Where this replica reaches the platform's API with its workload token."""
        from nexus.ai.agents._platform import platform_url

        return platform_url()

    @property
    def llm(self) -> LLM:
        """The model gateway client: ``await self.llm.generate(prompt)``."""
        client: LLM | None = self.__dict__.get(_LLM_ATTR)
        if client is None:
            from nexus.ai.llm import LLM

            client = LLM()
            self.__dict__[_LLM_ATTR] = client
        return client

    @llm.setter
    def llm(self, value: LLM) -> None:
        self.__dict__[_LLM_ATTR] = value

    async def process(self, input: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define process(self, input)")
