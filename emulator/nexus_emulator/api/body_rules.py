"""The rules the routes check on bodies and parameters, written into the OpenAPI document.

Each rule here is the one the route applies (the same constants: spec.py,
memory/rules.py, the token scopes), so a request the document calls valid is
not refused for its shape, and one it calls invalid is. ``document.py``
applies them when it rewrites the document.
"""

from __future__ import annotations

from typing import Any

from nexus.ai import spec
from nexus_emulator import otlp
from nexus_emulator.api import size_rules
from nexus_emulator.credentials import NAME_RE as CREDENTIAL_NAME
from nexus_emulator.gateway import request_shapes
from nexus_emulator.identity.external import DISCOVERY_URL
from nexus_emulator.identity.keys import MAX_TOKEN_TTL
from nexus_emulator.identity.tokens import KNOWN_SCOPES
from nexus_emulator.memory import rules as memory
from nexus_emulator.memory.extract import STRATEGIES

Schema = dict[str, Any]


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


ENV = {"type": "string", "enum": list(spec.ENVIRONMENTS)}
AGENT = {"type": "string", "pattern": spec.NAME_RE.pattern, "maxLength": 48}
HTTP_URL = {"type": "string", "pattern": r"^https?://"}
MEMORY_ID = {"type": "string", "pattern": memory.NAME.pattern}
NAMESPACE = {"type": "string", "pattern": r"^(/[A-Za-z0-9._@:+{}-]{1,128})+$"}
TURN = {
    "type": "object",
    "required": ["role", "text"],
    "properties": {"role": {"enum": sorted(memory.ROLES)}, "text": {"type": "string"}},
    "not": {"required": ["payload"]},
}
PAYLOAD = {
    "type": "object",
    "required": ["payload"],
    "properties": {"payload": {"not": {"type": "null"}}},
    "not": {"anyOf": [{"required": ["role"]}, {"required": ["text"]}]},
}

# component schema -> property -> its schema
PROPERTIES: dict[str, dict[str, Schema]] = {
    "TokenRequest": {
        "scopes": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "enum": list(KNOWN_SCOPES)},
        },
        "agent": _nullable(AGENT),
        "ttl": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_TOKEN_TTL},
    },
    "AuthorizerBody": {"discovery_url": {"type": "string", "pattern": DISCOVERY_URL.pattern}},
    "SecretBody": {"env": _nullable(ENV)},
    "DeploySpec": {"env": {**ENV, "default": spec.DEFAULT_ENV}},
    "RollbackBody": {"env": _nullable(ENV)},
    "RestartBody": {"env": _nullable(ENV)},
    "ScaleBody": {"env": _nullable(ENV)},
    # a limit's text decides (its smallest value too: size_rules.py); the number beside it
    # is what the emulator reports: a client need not send it, and one it sends must say
    # the same (else 400)
    "Cpu": {
        "text": {"type": "string", "pattern": size_rules.CPU},
        "nano_cpus": {"type": "integer", "readOnly": True},
    },
    "Memory": {
        "text": {"type": "string", "pattern": size_rules.MEMORY},
        "bytes": {"type": "integer", "readOnly": True},
    },
    "Retention": {"retention_days": {"type": "number", "exclusiveMinimum": 0}},
    "Strategies": {
        "strategies": {"type": "array", "items": {"type": "string", "enum": list(STRATEGIES)}}
    },
    "EventsIn": {
        "actor": MEMORY_ID,
        "events": {
            "type": "array",
            "minItems": 1,
            "maxItems": memory.MAX_EVENTS,
            "items": {"oneOf": [TURN, PAYLOAD]},
        },
    },
    "BranchIn": {"actor": MEMORY_ID, "to_session": MEMORY_ID},
    "RecordIn": {
        "namespace": NAMESPACE,
        "text": {"type": "string", "minLength": 1},
        "key": _nullable(MEMORY_ID),
        "ttl_seconds": _nullable({"type": "number", "exclusiveMinimum": 0}),
    },
    "SearchIn": {
        "query": {"type": "string", "pattern": r"\w"},
        "namespace": _nullable(NAMESPACE),
        "top_k": {"type": "integer", "minimum": 1, "maximum": memory.MAX_TOP_K, "default": 5},
    },
}

# component schema -> what it needs beyond its properties (one of several shapes)
SHAPES: dict[str, Schema] = {
    "AuthorizerBody": {
        "anyOf": [
            {"properties": {"audiences": {"minItems": 1}}, "required": ["audiences"]},
            {"properties": {"clients": {"minItems": 1}}, "required": ["clients"]},
        ]
    },
    "Strategies": {
        "if": {"properties": {"strategies": {"contains": {"const": "custom"}}}},
        "then": {
            "properties": {"custom_prompt": {"type": "string", "pattern": r"\S"}},
            "required": ["custom_prompt"],
        },
        "else": {"properties": {"custom_prompt": {"not": {"type": "string", "pattern": r"\S"}}}},
    },
    "CredentialBody": {
        "oneOf": [
            {
                "properties": {
                    "kind": {"const": "api_key"},
                    "api_key": {"type": "string", "minLength": 1},
                },
                "required": ["kind", "api_key"],
            },
            {
                "properties": {
                    "kind": {"const": "oauth2"},
                    "token_url": HTTP_URL,
                    "client_id": {"type": "string", "minLength": 1},
                    "client_secret": {"type": "string", "minLength": 1},
                },
                "required": ["kind", "token_url", "client_id", "client_secret"],
            },
        ]
    },
    "ModelRoute": {
        "oneOf": [
            {
                "properties": {"provider": {"const": "openai"}, "url": {"type": "string"}},
                "required": ["url"],
                "not": {"required": ["region"], "properties": {"region": {"type": "string"}}},
            },
            {
                "properties": {"provider": {"const": "anthropic"}},
                "required": ["provider"],
                "not": {
                    "anyOf": [  # no region, and no embedding models (Anthropic has none)
                        {"required": ["region"], "properties": {"region": {"type": "string"}}},
                        {"required": ["kind"], "properties": {"kind": {"const": "embedding"}}},
                    ]
                },
            },
            {"properties": {"provider": {"const": "bedrock"}}, "required": ["provider"]},
        ]
    },
    "DeploySpec": {
        "oneOf": [
            {
                "properties": {
                    "source_id": {"type": "string", "minLength": 1},
                    "image": {"type": "null"},
                    "project": {
                        "type": "object",
                        "required": ["entrypoint"],
                        "properties": {
                            "entrypoint": {
                                "type": "string",
                                "pattern": spec.ENTRYPOINT_RE.pattern,
                            },
                            # an absolute path; one that is no directory here is a 404
                            "mount": _nullable({"type": "string", "pattern": "^/"}),
                        },
                    },
                },
                "required": ["source_id", "project"],
            },
            {
                "properties": {
                    "image": {"type": "string", "minLength": 1},
                    "source_id": {"type": "null"},
                },
                "required": ["image"],
            },
        ]
    },
}

# (method, path) -> query parameter -> its schema; memory's paths by what follows
# /memory/ (the control plane's agents/{agent}/ left out): the platform's are the same
QUERY: dict[tuple[str, str], dict[str, Schema]] = {
    ("get", "/v1/gateway/audit"): {"limit": {"type": "integer", "minimum": 1, "maximum": 10_000}},
    ("get", "sessions/{session}/events"): {
        "last": _nullable({"type": "integer", "minimum": 1}),
        "actor": MEMORY_ID,
    },
    ("get", "records"): {"namespace": _nullable(NAMESPACE)},
    ("delete", "sessions/{session}"): {"actor": MEMORY_ID},
}


def _key(path: str) -> str:
    if "/memory/" not in path:
        return path
    return path.split("/memory/", 1)[1].removeprefix("agents/{agent}/")


PATH = {"session": MEMORY_ID, "actor": MEMORY_ID}  # memory's path parameters
# (method, path) -> its request body's schema, where the route takes any JSON object
BODIES: dict[tuple[str, str], Schema] = {
    ("put", "/v1/gateway/quotas/{agent}"): {"$ref": "#/components/schemas/Quota"},
}


def _replicas_in(env: str) -> Schema:
    """A deploy to ``env``: its replica counts (the flag's and nexus.toml's) within the
    environment's bounds (``spec.ENVIRONMENTS``); ``env`` left out is the default one."""
    low, high, _default = spec.ENVIRONMENTS[env]
    count = _nullable({"type": "integer", "minimum": low, "maximum": high})
    named: Schema = {"properties": {"env": {"const": env}}}
    if env != spec.DEFAULT_ENV:
        named["required"] = ["env"]
    return {
        "if": named,
        "then": {
            "properties": {
                "replicas": count,
                "declared": _nullable({"type": "object", "properties": {"replicas": count}}),
            }
        },
    }


SHAPES["DeploySpec"]["allOf"] = [_replicas_in(env) for env in spec.ENVIRONMENTS]


def apply(doc: Schema, runtime: str) -> None:
    """``runtime``: the emulator's; the process runtime deploys projects, not images."""
    schemas = doc["components"]["schemas"]
    shapes = dict(SHAPES)
    if runtime == "process":
        shapes["DeploySpec"] = {**SHAPES["DeploySpec"], "oneOf": SHAPES["DeploySpec"]["oneOf"][:1]}
    for name, properties in PROPERTIES.items():
        if name in schemas:
            schemas[name].setdefault("properties", {}).update(properties)
    for name, shape in shapes.items():
        if name in schemas:
            schemas[name].update(shape)


def parameter(method: str, path: str, p: Schema) -> Schema | None:
    """The schema of a route's parameter when a rule says more than its type."""
    if p.get("name") == "credential" and p.get("in") == "path":
        return {"type": "string", "pattern": CREDENTIAL_NAME.pattern}
    if p.get("in") == "query":
        return QUERY.get((method, _key(path)), {}).get(p.get("name", ""))
    if p.get("in") == "path" and "/memory/" in path:
        return PATH.get(p.get("name", ""))
    return None


REQUIRED = {("post", "/v1/sources")}  # routes whose body FastAPI cannot tell is required
# routes that read their body themselves, in another API's shape (OpenAI's, Anthropic's,
# OTLP's): each checks it against the schema published here (json_shape.py), so the
# document says exactly what they take; fields not listed pass as they came
FOREIGN: dict[str, tuple[str, dict[str, Schema]]] = {
    "/v1/platform/gateway/v1/chat/completions": (
        "OpenAI chat completions",
        {"application/json": request_shapes.CHAT},
    ),
    "/v1/platform/gateway/v1/embeddings": (
        "OpenAI embeddings",
        {"application/json": request_shapes.EMBEDDINGS},
    ),
    "/v1/platform/gateway/v1/messages": (
        "Anthropic Messages",
        {"application/json": request_shapes.MESSAGES},
    ),
    "/v1/platform/otlp/v1/traces": (
        "OTLP/HTTP traces (OTLP/JSON, or the protobuf encoding of the same message: "
        "protobuf has no field presence, so only the ids are required there)",
        {"application/json": otlp.EXPORT, "application/x-protobuf": otlp.PROTO_EXPORT},
    ),
}


# what those routes answer in, where it is not the request's own media type:
# chat and messages stream server-sent events when the body says "stream": true
ANSWERS = {
    "/v1/platform/gateway/v1/chat/completions": ("application/json", "text/event-stream"),
    "/v1/platform/gateway/v1/messages": ("application/json", "text/event-stream"),
}


def body(method: str, path: str, op: Schema) -> None:
    if (method, path) in REQUIRED and "requestBody" in op:
        op["requestBody"]["required"] = True
    if method == "post" and path in FOREIGN:
        what, media = FOREIGN[path]
        op["requestBody"] = {
            "required": True,
            "description": f"a request of the {what} API",
            "content": {kind: {"schema": schema} for kind, schema in media.items()},
        }
        answer = op["responses"].setdefault("200", {"description": "the answer"})
        answer["content"] = {kind: {"schema": {}} for kind in ANSWERS.get(path, media)}
    schema = BODIES.get((method, path))
    if schema is not None and "requestBody" in op:
        op["requestBody"]["content"]["application/json"]["schema"] = schema
