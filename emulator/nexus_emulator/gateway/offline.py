"""The built-in offline model: deterministic, no network, rules anyone can predict.

A chat request is answered from its last user message, by the first rule that
applies:

1. scripted answers: ``$NEXUS_HOME/gateway/fixtures.json`` (or the file named by
   ``NEXUS_GATEWAY_FIXTURES``), a list of ``{"match": "text", "answer": "..."}``
   (``"regex": true`` makes ``match`` a regular expression, searched); the first
   whose ``match`` occurs in the message answers, so tests and evaluations can
   pin outputs;
2. tools: when the request offers tools and the message names one of them (as a
   word), the model calls it, with the first JSON object in the message as its
   arguments (else ``{"<first parameter>": "<the message>"}``); once the
   conversation holds that tool's result, it answers ``<tool> returned: <result>``;
3. ``summarize: TEXT`` (or ``summarise:``): TEXT's first sentence, at most 30 words;
4. ``extract emails|urls|numbers: TEXT``: the items found, as a JSON list;
   ``extract preferences: TEXT``: TEXT's sentences that say what someone likes
   (``I like|love|prefer|enjoy|hate|dislike``, ``my favourite|favorite``), and
   ``extract facts: TEXT``: its other statements of three words or more that end
   with a full stop, each as a JSON list (memory's extraction strategies use them);
5. anything else is echoed back as is.

The answer is cut at ``max_tokens`` (``finish_reason: "length"``). Tokens are
counted with cl100k (``tokens.py``): the prompt as the sum of its messages'
contents, the completion as its text (or the tool call's name and arguments).
Embeddings are hashed word and character-trigram counts, L2-normalised: texts
that share words rank close together.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nexus_emulator.gateway import tokens

CHAT_MODEL = "nexus-offline"
EMBED_MODEL = "nexus-offline-embed"
CONTEXT_LIMIT = 128_000
DIMENSIONS = 256
_SENTENCE = re.compile(r"(.+?[.!?])(\s|$)", re.S)
_EXTRACT = {
    "emails": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "urls": re.compile(r"https?://[^\s\"'<>)]+"),
    "numbers": re.compile(r"-?\d+(?:\.\d+)?"),
}


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as the OpenAI API carries it


@dataclass
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str = "stop"
    tool_calls: list[ToolCall] = field(default_factory=list)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class ContextTooLong(ValueError):
    def __init__(self, tokens_in: int) -> None:
        super().__init__(
            f"this model's context is {CONTEXT_LIMIT} tokens; the messages have {tokens_in}"
        )


def text_of(content: Any) -> str:
    """A message's text: a string, or the text parts of a list of content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content
        )
    return "" if content is None else json.dumps(content)


def fixtures_path(home: Path) -> Path:
    from nexus.settings import Settings

    named = Settings.load().gateway_fixtures
    return Path(named).expanduser() if named else home / "gateway" / "fixtures.json"


class OfflineModel:
    def __init__(self, fixtures: Path | None = None) -> None:
        self.fixtures = fixtures
        self._stamp: float | None = None
        self._scripted: list[dict[str, Any]] = []

    def scripted(self) -> list[dict[str, Any]]:
        """The fixtures file, read again when it changed (none when it is absent or bad)."""
        if self.fixtures is None:
            return []
        try:
            stamp = self.fixtures.stat().st_mtime
        except OSError:
            self._scripted, self._stamp = [], None
            return []
        if stamp != self._stamp:
            try:
                data = json.loads(self.fixtures.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = []
            self._scripted = (
                [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []
            )
            self._stamp = stamp
        return self._scripted

    def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        prompt_tokens = sum(tokens.count(text_of(m.get("content"))) for m in messages)
        if prompt_tokens > CONTEXT_LIMIT:
            raise ContextTooLong(prompt_tokens)
        last = next((m for m in reversed(messages) if m.get("role") == "user"), None)
        prompt = text_of(last.get("content")) if last else ""
        call = self._tool_call(prompt, messages, tools or [])
        if call is not None:
            used = tokens.count(call.name) + tokens.count(call.arguments)
            return Completion("", prompt_tokens, used, "tool_calls", [call])
        text = self._answer(prompt, messages)
        finish = "stop"
        if max_tokens is not None and tokens.count(text) > max_tokens:
            text, finish = tokens.truncate(text, max_tokens), "length"
        return Completion(text, prompt_tokens, tokens.count(text), finish)

    def _answer(self, prompt: str, messages: list[dict[str, Any]]) -> str:
        for rule in self.scripted():
            match = str(rule.get("match", ""))
            hit = re.search(match, prompt) if rule.get("regex") else match in prompt
            if hit:
                return text_of(rule.get("answer", ""))
        result = _tool_result(messages)
        if result is not None:
            return f"{result[0]} returned: {result[1]}"
        head, _, rest = prompt.partition(":")
        verb = head.strip().lower()
        if verb in ("summarize", "summarise"):
            found = _SENTENCE.match(rest.strip())
            first = found.group(1) if found else rest.strip()
            words = first.split()
            return " ".join(words[:30]) + (" …" if len(words) > 30 else "")
        if verb in ("extract preferences", "extract facts"):
            return json.dumps(_statements(rest, preferences=verb.endswith("preferences")))
        if verb.startswith("extract ") and verb[8:].strip() in _EXTRACT:
            return json.dumps(_EXTRACT[verb[8:].strip()].findall(rest))
        return prompt

    def _tool_call(
        self, prompt: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> ToolCall | None:
        if not tools or _tool_result(messages) is not None:
            return None
        for tool in tools:
            spec = tool.get("function", tool) if isinstance(tool, dict) else {}
            spec = spec if isinstance(spec, dict) else {}
            name = str(spec.get("name", ""))
            if not name or not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", prompt):
                continue
            args = _first_json_object(prompt)
            if args is None:
                schema = spec.get("parameters") or spec.get("input_schema") or {}
                props = schema.get("properties") if isinstance(schema, dict) else None
                props = list(props) if isinstance(props, dict) else []
                args = {props[0]: prompt} if props else {}
            digest = hashlib.sha1(f"{name}\n{prompt}".encode()).hexdigest()[:24]
            return ToolCall(f"call_{digest}", name, json.dumps(args))
        return None

    def embed(self, text: str, dimensions: int = DIMENSIONS) -> list[float]:
        vec = [0.0] * dimensions
        lowered = text.lower()
        grams = re.findall(r"\w+", lowered)
        squeezed = " ".join(grams)
        grams += [squeezed[i : i + 3] for i in range(max(0, len(squeezed) - 2))]
        for gram in grams:
            h = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "big")
            vec[h % dimensions] += 1.0 if (h >> 32) & 1 else -1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]


_PREFERENCE = re.compile(
    r"\b(i (?:really |do )?(?:like|love|prefer|enjoy|hate|dislike)|my favou?rite)\b", re.I
)
_STATEMENT = re.compile(r"[^.!?\n]+[.!?]?")


def _statements(text: str, *, preferences: bool) -> list[str]:
    """The sentences of ``text`` that state a preference, or (else) a plain fact."""
    found: list[str] = []
    for piece in _STATEMENT.findall(text):
        sentence = " ".join(piece.split())
        if not sentence:
            continue
        liked = _PREFERENCE.search(sentence) is not None
        if preferences and liked:
            found.append(sentence.rstrip("!."))
        elif not (preferences or liked) and sentence.endswith(".") and len(sentence.split()) > 2:
            found.append(sentence[:-1])
    return found


def _tool_result(messages: list[dict[str, Any]]) -> tuple[str, str] | None:
    """The last message's tool result ``(tool name, content)`` (OpenAI or Anthropic shape)."""
    if not messages:
        return None
    last = messages[-1]
    if last.get("role") == "tool":
        names = {
            c.get("id"): c.get("function", {}).get("name")
            for m in messages
            for c in (m.get("tool_calls") or [])
            if isinstance(c, dict)
        }
        name = names.get(last.get("tool_call_id")) or last.get("name") or "the tool"
        return str(name), text_of(last.get("content"))
    content = last.get("content")
    if last.get("role") == "user" and isinstance(content, list):
        for block in content:
            if isinstance(block, dict) and block.get("type") == "tool_result":
                used = {
                    b.get("id"): b.get("name")
                    for m in messages
                    if isinstance(m.get("content"), list)
                    for b in m["content"]
                    if isinstance(b, dict) and b.get("type") == "tool_use"
                }
                name = used.get(block.get("tool_use_id")) or "the tool"
                return str(name), text_of(block.get("content"))
    return None


def _first_json_object(text: str) -> dict[str, Any] | None:
    start = text.find("{")
    while start != -1:
        try:
            value, _ = json.JSONDecoder().raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        return value if isinstance(value, dict) else None
    return None
