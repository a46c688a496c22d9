"""The OpenAPI document made exact: every status a route answers, the error shape, the
platform's rules for names and environments, and bearer security.

FastAPI writes each route's success answer and a 422 validation error it never
sends (the emulator answers 400, ``app.py``). :func:`exact` rewrites the
document once, when it is first asked for: the 422s go (except where a route
really answers 422), and each operation declares the errors its layer can
answer, all in the one error shape (``nexus_api.errors``):

  400  a parameter or the body breaks a rule (operations that take any)
  401  no credential or a bad one; 403 a credential that may not do this
       (every path but the open ones: health, the document, metrics, OIDC)
  404  no such agent, task, trace, … (operations with a path parameter)
  503  the emulator is still starting (every route that needs it loaded)

plus what a route adds of its own (:data:`EXTRA`). Agent names, environments
and secret names carry their patterns (``nexus.ai.spec``), so a client or a
fuzzer knows which values are valid before it sends them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nexus.ai import spec
from nexus_api.errors import API_CODES
from nexus_emulator.api import body_rules

Document = dict[str, Any]

ERROR_REF = {"$ref": "#/components/schemas/Error"}
GATEWAY_REF = {"$ref": "#/components/schemas/GatewayError"}
ERROR_SCHEMA: Document = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "hint", "details"],
            "properties": {
                "code": {"type": "string", "enum": [str(code) for code in API_CODES]},
                "message": {"type": "string"},
                "hint": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "details": {"type": "array", "items": {"type": "string"}},
            },
        }
    },
}
# the model gateway answers its errors as OpenAI's and Anthropic's clients expect them
GATEWAY_SCHEMA: Document = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["message"]}},
}

WHY = {
    "400": "the request breaks a rule: a parameter, the body, a name or an environment",
    "401": "no credential, or one that is not valid (with WWW-Authenticate)",
    "403": "a valid credential that may not do this (the control plane takes the admin "
    "token, /v1/platform a replica's workload token)",
    "404": "no such agent, environment, version, task, trace or record",
    "409": "the state does not allow it now",
    "413": "the request body is over NEXUS_MAX_BODY",
    "422": "an Idempotency-Key reused with another body",
    "429": "over a quota of the model gateway (with Retry-After)",
    "500": "the operation ran and failed (the agent raised)",
    "502": "a replica or an upstream did not answer",
    "503": "the emulator is still starting, or no replica took the call in time (with Retry-After)",
}

# what a route answers beyond its layer's errors, by (method, path)
EXTRA: dict[tuple[str, str], tuple[str, ...]] = {
    ("get", "/v1/health/ready"): ("503",),
    ("post", "/agents/{name}/run"): ("413", "500", "502"),
    ("post", "/agents/{name}/stream"): ("413",),
    ("post", "/agents/{name}/tasks"): ("413", "422"),
    ("post", "/v1/gateway/models"): ("404",),  # its fallback is no model here
    # vector search while it is off; a branch into a session that exists
    **{
        ("post", prefix + tail): ("409",)
        for prefix in ("/v1/memory/agents/{agent}/", "/v1/platform/memory/")
        for tail in ("search", "sessions/{session}/branch")
    },
    **{
        ("post", f"/v1/platform/gateway/v1/{verb}"): ("404", "429", "502")
        for verb in ("chat/completions", "embeddings", "messages")
    },
}
OPEN_PREFIXES = ("/v1/health/", "/.well-known/")
OPEN = frozenset({"/openapi.json", "/docs", "/redoc", "/metrics"})


def _name_schema() -> Document:
    return {"type": "string", "pattern": spec.NAME_RE.pattern, "maxLength": 48}


PARAMETERS: dict[tuple[str, str], Callable[[str], Document | None]] = {
    # (where, name) -> the schema for that parameter on a path (None: leave it)
    ("path", "agent"): lambda _path: _name_schema(),
    ("path", "name"): lambda path: (
        _name_schema() if path.startswith(("/v1/agents/{name}", "/agents/{name}")) else None
    ),
    ("query", "env"): lambda _path: {"type": "string", "enum": list(spec.ENVIRONMENTS)},
    ("path", "key"): lambda _path: {
        "type": "string",
        "pattern": "^(?![Nn][Ee][Xx][Uu][Ss]_)" + spec.SECRET_NAME_RE.pattern.lstrip("^"),
    },
}


def is_open(path: str) -> bool:
    return path in OPEN or path.startswith(OPEN_PREFIXES)


def exact(doc: Document, runtime: str) -> Document:
    """Rewrite FastAPI's document in place (and return it); ``runtime`` is the emulator's."""
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR_SCHEMA
    schemas["GatewayError"] = GATEWAY_SCHEMA
    components["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "the admin token ($NEXUS_HOME/token) or a JWT from "
            "POST /v1/identity/tokens; on /v1/platform a replica's workload token",
        }
    }
    doc["security"] = [{"bearer": []}]
    body_rules.apply(doc, runtime)
    _standard_bounds(schemas)
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if isinstance(op, dict) and "responses" in op:
                _operation(path, method, op)
    return doc


BOUNDS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}


def _standard_bounds(node: Any) -> None:
    """pydantic writes a bound it checks in a validator as ``gt``/``le``…: JSON Schema's
    names for them, so a client reads them."""
    if isinstance(node, dict):
        if node.get("type") in ("integer", "number"):
            for short, long in BOUNDS.items():
                if short in node:
                    node[long] = node.pop(short)
        for value in node.values():
            _standard_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _standard_bounds(value)


def _operation(path: str, method: str, op: Document) -> None:
    params = op.get("parameters", [])
    for p in params:
        rule = PARAMETERS.get((p.get("in"), p.get("name")))
        schema = body_rules.parameter(method, path, p) or (rule(path) if rule else None)
        if schema is not None:
            p["schema"] = schema
    body_rules.body(method, path, op)
    answers = set(EXTRA.get((method, path), ()))
    if params or "requestBody" in op:
        answers.add("400")
    if any(p.get("in") == "path" for p in params):
        answers.add("404")
    if is_open(path):
        op["security"] = []
    else:
        answers |= {"401", "403", "503"}
    responses = op["responses"]
    if "422" not in answers:
        responses.pop("422", None)
    if path == "/v1/health/ready":  # not ready: the same body, with "ready": false
        responses["503"] = {**responses["200"], "description": "not ready yet"}
    shape = {"anyOf": [ERROR_REF, GATEWAY_REF]} if "/gateway/" in path else ERROR_REF
    for status in sorted(answers):
        if status not in responses or status == "422":  # FastAPI's 422 is not ours
            responses[status] = {
                "description": WHY[status],
                "content": {"application/json": {"schema": shape}},
            }
