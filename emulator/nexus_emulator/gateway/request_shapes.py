"""The request bodies the model gateway takes, as JSON Schema (``json_shape.py``'s subset):
the OpenAI chat completion and embeddings requests and Anthropic's Messages request, as
far as the gateway reads them. The routes check each body against its schema before
anything else (400 in that API's error shape, naming the field), and the OpenAPI document
publishes the same schema (``api/body_rules.py``). Fields left out pass through to a
routed upstream as they came.
"""

from __future__ import annotations

from typing import Any

from nexus_emulator.gateway.wire import ROLES

Schema = dict[str, Any]


def _optional(schema: Schema) -> Schema:
    """A field a client may send as null (the gateway reads null as absent)."""
    return {"anyOf": [schema, {"type": "null"}]}


TEXT = {"type": "string"}
POSITIVE = {"type": "integer", "minimum": 1}
# the JSON Schema of a tool's arguments: an object, its properties an object when given
ARGUMENTS_SCHEMA = {"type": "object", "properties": {"properties": {"type": "object"}}}

# ------------------------------------------------------------------ OpenAI

TEXT_PART = {"type": "object", "properties": {"type": TEXT, "text": TEXT}}
TOOL_CALL = {
    "type": "object",
    "required": ["function"],
    "properties": {
        "id": TEXT,
        "type": {"const": "function"},
        "function": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": TEXT, "arguments": TEXT},
        },
    },
}
MESSAGE = {
    "type": "object",
    "required": ["role"],
    "properties": {
        "role": {"type": "string", "enum": sorted(ROLES)},
        "content": _optional({"anyOf": [TEXT, {"type": "array", "items": TEXT_PART}]}),
        "name": TEXT,
        "tool_call_id": TEXT,
        "tool_calls": _optional({"type": "array", "items": TOOL_CALL}),
    },
}
FUNCTION = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": TEXT, "description": TEXT, "parameters": ARGUMENTS_SCHEMA},
}
CHAT: Schema = {
    "type": "object",
    "required": ["messages"],
    "properties": {
        "model": _optional(TEXT),
        "messages": {"type": "array", "minItems": 1, "items": MESSAGE},
        "tools": _optional(
            {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["type", "function"],
                    "properties": {"type": {"const": "function"}, "function": FUNCTION},
                },
            }
        ),
        "max_tokens": _optional(POSITIVE),
        "max_completion_tokens": _optional(POSITIVE),
        "stream": _optional({"type": "boolean"}),
        "stream_options": _optional(
            {"type": "object", "properties": {"include_usage": {"type": "boolean"}}}
        ),
        "temperature": _optional({"type": "number", "minimum": 0, "maximum": 2}),
        "top_p": _optional({"type": "number", "minimum": 0, "maximum": 1}),
    },
}
EMBEDDINGS: Schema = {
    "type": "object",
    "required": ["input"],
    "properties": {
        "model": _optional(TEXT),
        "input": {"anyOf": [TEXT, {"type": "array", "minItems": 1, "items": TEXT}]},
        "dimensions": _optional({"type": "integer", "minimum": 1, "maximum": 4096}),
        "encoding_format": _optional({"type": "string", "enum": ["float", "base64"]}),
    },
}

# ------------------------------------------------------------------ Anthropic

TEXT_BLOCK = {"type": "object", "properties": {"type": TEXT, "text": TEXT}}
BLOCK = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": TEXT,  # text, tool_use, tool_result, image, ...
        "text": TEXT,
        "id": TEXT,
        "name": TEXT,
        "input": {"type": "object"},
        "tool_use_id": TEXT,
        "content": {"anyOf": [TEXT, {"type": "array", "items": TEXT_BLOCK}]},
    },
}
MESSAGES: Schema = {
    "type": "object",
    "required": ["max_tokens", "messages"],
    "properties": {
        "model": _optional(TEXT),
        "max_tokens": POSITIVE,
        "messages": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["role", "content"],
                "properties": {
                    "role": {"type": "string", "enum": ["assistant", "user"]},
                    "content": {"anyOf": [TEXT, {"type": "array", "items": BLOCK}]},
                },
            },
        },
        "system": _optional({"anyOf": [TEXT, {"type": "array", "items": TEXT_BLOCK}]}),
        "tools": _optional(
            {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": TEXT,
                        "description": TEXT,
                        "input_schema": ARGUMENTS_SCHEMA,
                    },
                },
            }
        ),
        "tool_choice": _optional(
            {
                "type": "object",
                "required": ["type"],
                "properties": {
                    "type": {"type": "string", "enum": ["auto", "any", "tool", "none"]},
                    "name": TEXT,
                },
            }
        ),
        "stream": _optional({"type": "boolean"}),
        "stop_sequences": _optional({"type": "array", "items": TEXT}),
        "temperature": _optional({"type": "number", "minimum": 0, "maximum": 1}),
        "top_p": _optional({"type": "number", "minimum": 0, "maximum": 1}),
    },
}
