"""Minting and checking JWTs (PyJWT over ``cryptography``; no hand-written crypto).

Two audiences: ``nexus:api`` for callers of the emulator's API (``token create``)
and ``nexus:platform`` for the workload tokens replicas use towards the platform.
Checks follow RFC 8725: ES256 only (``alg: none``, HS256 and anything else are
refused before any key is touched), ``kid`` must name a published key,
``jku``/``x5u``/``x5c``/``jwk`` headers are refused (keys come from our key ring
only), ``iss``, ``aud``, ``exp``, ``iat`` and ``sub`` are required, ``exp`` and
``nbf`` get 60 s leeway. A verified token is cached (by its full text) until it
expires, so a repeated caller costs a dictionary look-up.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from nexus_emulator.identity.keys import LEEWAY, MAX_TOKEN_TTL, KeyRing

AUD_API = "nexus:api"
AUD_PLATFORM = "nexus:platform"
ALGORITHMS = ("ES256",)
REFUSED_HEADERS = ("jku", "x5u", "x5c", "jwk")
SCOPE_INVOKE = "agents:invoke"
SCOPE_ADMIN = "admin"
SCOPE_PLATFORM = "platform"
KNOWN_SCOPES = (SCOPE_INVOKE, SCOPE_ADMIN)
WORKLOAD_TTL = 15 * 60


@dataclass(frozen=True)
class Principal:
    """Who a request comes from, once its credential checked out."""

    subject: str
    scopes: frozenset[str]
    kind: str  # admin (the local admin credential) | caller | workload
    agent: str | None = None  # the only agent this token reaches (None: any)
    env: str | None = None
    expires_at: float | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_admin(self) -> bool:
        return SCOPE_ADMIN in self.scopes and self.kind != "workload"


ADMIN = Principal("admin", frozenset({SCOPE_ADMIN}), "admin")


class InvalidToken(Exception):
    """The token does not verify; the message says why (safe to show the caller)."""


def checked_header(header: dict[str, Any], algorithms: tuple[str, ...], keys_from: str) -> Any:
    """The header's ``kid``, once its algorithm is one of ``algorithms`` and it names no key
    source of its own (RFC 8725: keys come only from ``keys_from``)."""
    alg = header.get("alg")
    if alg not in algorithms:
        raise InvalidToken(f"algorithm {alg!r} is not accepted (only {', '.join(algorithms)})")
    for name in REFUSED_HEADERS:
        if name in header:
            raise InvalidToken(f"the {name!r} header is refused: keys come from {keys_from}")
    return header.get("kid")


def service_account(agent: str, env: str) -> str:
    return f"agent:{agent}:{env}"


class Issuer:
    def __init__(self, keys: KeyRing, issuer: str) -> None:
        self.keys = keys
        self.issuer = issuer

    def mint(
        self,
        subject: str,
        scopes: list[str],
        *,
        audience: str = AUD_API,
        ttl: float = 3600,
        agent: str | None = None,
        env: str | None = None,
        not_before: float | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """A signed token and its claims."""
        import jwt

        if not 0 < ttl <= MAX_TOKEN_TTL:
            raise ValueError(f"ttl must be between 1 s and {MAX_TOKEN_TTL} s")
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "nbf": int(not_before) if not_before is not None else now,
            "exp": now + int(ttl),
            "jti": secrets.token_urlsafe(12),
            "scope": " ".join(scopes),
        }
        if agent is not None:
            claims["agent"] = agent
        if env is not None:
            claims["env"] = env
        key = self.keys.signing
        token = jwt.encode(
            claims, key.private, algorithm="ES256", headers={"kid": key.kid, "typ": "JWT"}
        )
        return token, claims

    def workload(self, agent: str, env: str, ttl: float = WORKLOAD_TTL) -> tuple[str, float]:
        """The token of a replica's service account, and when it expires."""
        token, claims = self.mint(
            service_account(agent, env),
            [SCOPE_PLATFORM],
            audience=AUD_PLATFORM,
            ttl=ttl,
            agent=agent,
            env=env,
        )
        return token, float(claims["exp"])


class Verifier:
    def __init__(self, keys: KeyRing, issuer: str, cache_size: int = 10_000) -> None:
        self.keys = keys
        self.issuer = issuer
        self.cache_size = cache_size
        self._cache: dict[str, Principal] = {}
        self._headers: dict[str, dict[str, Any]] = {}  # header segment -> parsed (few: one a key)
        self._generation = -1

    def verify(self, token: str) -> Principal:
        if self._generation != self.keys.generation:  # keys changed: check everything again
            self._cache.clear()
            self._generation = self.keys.generation
        hit = self._cache.get(token)
        if hit is not None and hit.expires_at is not None:
            if time.time() <= hit.expires_at + LEEWAY:
                return hit
            del self._cache[token]
            raise InvalidToken("the token has expired")
        principal = self._verify(token)
        if len(self._cache) >= self.cache_size:
            for old in list(self._cache)[: self.cache_size // 2]:
                del self._cache[old]
        self._cache[token] = principal
        return principal

    def _header(self, token: str) -> dict[str, Any]:
        """The token's (unverified) header; tokens of one key share it, so it is parsed once."""
        import jwt

        segment = token.partition(".")[0]
        header = self._headers.get(segment)
        if header is None:
            try:
                header = jwt.get_unverified_header(token)
            except jwt.DecodeError as exc:
                raise InvalidToken(f"the token is not a JWT: {exc}") from None
            if len(self._headers) >= 64:
                self._headers.clear()
            self._headers[segment] = header
        return header

    def _verify(self, token: str) -> Principal:
        import jwt

        header = self._header(token)
        kid = checked_header(header, ALGORITHMS, "this issuer")
        key = self.keys.public_key(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidToken(f"unknown key id {kid!r} (see /.well-known/jwks.json)")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                audience=[AUD_API, AUD_PLATFORM],
                issuer=self.issuer,
                leeway=LEEWAY,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("the token is not valid yet (nbf/iat in the future)") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken(f"wrong audience: expected {AUD_API} or {AUD_PLATFORM}") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken(f"wrong issuer: expected {self.issuer}") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("the signature does not verify") from None
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"invalid token: {exc}") from None
        return principal_of(claims)


def principal_of(claims: dict[str, Any]) -> Principal:
    scope = claims.get("scope", "")
    scopes = frozenset(scope.split()) if isinstance(scope, str) else frozenset()
    workload = claims.get("aud") == AUD_PLATFORM or (
        isinstance(claims.get("aud"), list) and AUD_PLATFORM in claims["aud"]
    )
    agent, env = claims.get("agent"), claims.get("env")
    return Principal(
        subject=str(claims["sub"]),
        scopes=scopes,
        kind="workload" if workload else "caller",
        agent=agent if isinstance(agent, str) else None,
        env=env if isinstance(env, str) else None,
        expires_at=float(claims["exp"]),
        claims=claims,
    )


PASSED_CLAIMS = ("iss", "sub", "aud", "exp", "agent", "env")


def caller_header(principal: Principal) -> str:
    """What the agent learns of its caller (``X-Nexus-Caller``, set only after checking)."""
    import orjson

    claims = {k: principal.claims[k] for k in PASSED_CLAIMS if k in principal.claims}
    caller = {
        "subject": principal.subject,
        "kind": principal.kind,
        "scopes": sorted(principal.scopes),
        "claims": claims,
    }
    return orjson.dumps(caller).decode()
