"""A sample agent that needs no model: it greets the caller and counts words."""

from __future__ import annotations

import json
from typing import Any

from nexus.ai.agents import Agent


class HelloAgent(Agent):
    async def process(self, input: Any) -> str:
        text = input if isinstance(input, str) else json.dumps(input, ensure_ascii=False)
        words = len(text.split())
        user = self.context.user_id
        who = f"user {user}" if user else "there"
        noun = "word" if words == 1 else "words"
        return f"Hello {who}! Your message has {words} {noun}."
