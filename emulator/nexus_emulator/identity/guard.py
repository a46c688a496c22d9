"""Who may call what: one check per request, before any route runs.

- The local admin credential (``$NEXUS_HOME/token``) and JWTs with the ``admin``
  scope reach everything.
- A caller JWT (audience ``nexus:api``) with ``agents:invoke`` reaches the data
  plane only: run, stream and submit tasks of its agent (the ``agent`` claim; any
  agent without one), and read or cancel tasks (the route checks the task's agent).
  Deploy, rollback, scale, secrets, logs and the rest need ``admin``.
- A token of an external issuer the agent trusts (``external.py``) reaches
  run, stream and tasks of that agent only.
- A workload JWT (audience ``nexus:platform``) reaches ``/v1/platform/`` only, and
  nothing else does (not even the admin credential).

A bad credential is a 401 (with ``WWW-Authenticate``), a good one that is not
allowed here a 403; both say why.
"""

from __future__ import annotations

import hmac
import re

from nexus_api.errors import ErrorCode
from nexus_emulator.errors import ApiError
from nexus_emulator.identity.external import Authorizers
from nexus_emulator.identity.tokens import (
    ADMIN,
    SCOPE_INVOKE,
    InvalidToken,
    Principal,
    Verifier,
)

DATA_PATH = re.compile(r"^(?:/v1)?/agents/([^/]+)/(?:run|stream|tasks)$")
TASK_PATH = re.compile(r"^/v1/tasks/[^/]+(?:/cancel)?$")
PLATFORM_PREFIX = "/v1/platform/"
HINT_401 = (
    "send Authorization: Bearer <token>: a JWT from `nexus ai token create`, "
    "or the local admin credential in $NEXUS_HOME/token"
)


class Refused(ApiError):
    """401 ``unauthorized`` (no or a bad credential) or 403 ``forbidden`` (not allowed here)."""

    def __init__(self, status: int, message: str, hint: str | None = None) -> None:
        code = ErrorCode.UNAUTHORIZED if status == 401 else ErrorCode.FORBIDDEN
        super().__init__(status, code, message, hint=hint or (HINT_401 if status == 401 else None))

    def headers(self) -> list[tuple[bytes, bytes]]:
        if self.status != 401:
            return []
        reason = self.message.replace('"', "'")
        value = f'Bearer error="invalid_token", error_description="{reason}"'
        return [(b"www-authenticate", value.encode("latin-1", "replace"))]


def bearer(header: bytes) -> str:
    """The credential of an ``Authorization: Bearer <credential>`` header (any case)."""
    if not header:
        raise Refused(401, "no Authorization header")
    scheme, _, value = header.decode("latin-1").strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        raise Refused(401, "the Authorization header must be 'Bearer <token>'")
    return value


def may_reach(principal: Principal, agent: str) -> None:
    """Refuse (403) a principal confined to another agent."""
    if principal.is_admin or principal.agent in (None, agent):
        return
    raise Refused(
        403,
        f"this token is for agent {principal.agent!r}, not {agent!r}",
        hint=f"nexus ai token create --sub NAME --scope {SCOPE_INVOKE} --agent {agent}",
    )


class Guard:
    def __init__(
        self, admin_token: str, verifier: Verifier, external: Authorizers | None = None
    ) -> None:
        self.admin = admin_token.encode()
        self.verifier = verifier
        self.external = external

    def authenticate(self, header: bytes, agent: str | None = None) -> Principal:
        """Who presents this credential; ``agent``: the agent a data-plane call is for,
        whose trusted external issuer (if any) is tried for tokens not of ours."""
        credential = bearer(header)
        if hmac.compare_digest(credential.encode("latin-1", "replace"), self.admin):
            return ADMIN
        if credential.count(".") != 2:
            raise Refused(401, "wrong bearer token")
        try:
            return self.verifier.verify(credential)
        except InvalidToken as exc:
            reason = str(exc)
        if agent is not None and self.external is not None and self._foreign(credential):
            try:
                return self.external.verify(agent, credential)
            except InvalidToken as exc:
                if self.external.trusts(agent):
                    reason = str(exc)
        raise Refused(401, f"invalid token: {reason}")

    def _foreign(self, credential: str) -> bool:
        """Whether the token names another issuer than this one (an external one, maybe)."""
        import jwt

        try:
            claims = jwt.decode(credential, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            return False
        return bool(claims.get("iss") != self.verifier.issuer)

    def check(self, method: str, path: str, header: bytes) -> Principal:
        """The principal of a request to ``method path``, or Refused."""
        data = DATA_PATH.match(path) if method == "POST" else None
        principal = self.authenticate(header, data.group(1) if data else None)
        if principal.kind == "external":  # verified for the agent of this data-plane call
            return principal
        if principal.kind == "workload":
            if path.startswith(PLATFORM_PREFIX):
                return principal
            raise Refused(
                403,
                "a workload token is for the platform API, not the control or data plane",
                hint="call agents with a token from `nexus ai token create`",
            )
        if path.startswith(PLATFORM_PREFIX):
            raise Refused(403, "the platform API takes a replica's workload token, nothing else")
        if principal.is_admin:
            return principal
        if data is not None or TASK_PATH.match(path):
            if SCOPE_INVOKE not in principal.scopes:
                raise Refused(403, f"this token lacks the {SCOPE_INVOKE} scope")
            if data is not None:
                may_reach(principal, data.group(1))
            return principal
        raise Refused(
            403,
            f"{method} {path} needs the admin scope",
            hint="use the local admin credential (the CLI does) or a token with --scope admin",
        )
