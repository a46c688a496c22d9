"""Trust in external issuers, per agent (as AgentCore's custom JWT authorizer).

An agent may accept tokens of another OIDC issuer on its data plane: its
discovery URL gives the issuer and the JWKS; tokens must name one of the
allowed audiences (``aud``) and/or come from one of the allowed clients
(``client_id`` or ``azp``). The same RFC 8725 rules hold as for our own tokens:
an algorithm of the allow-list that the issuer announces, ``kid`` from its
JWKS (fetched by the emulator, never from a ``jku``/``x5u`` in the token),
``iss`` equal to the discovered issuer, ``exp``/``nbf`` with 60 s leeway.
The configuration is kept in ``$NEXUS_HOME/identity/authorizers.json`` (0600);
the keys are fetched when it is set and at every start.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from dataclasses import asdict, dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

from nexus_emulator.identity.keys import LEEWAY
from nexus_emulator.identity.tokens import InvalidToken, Principal, checked_header

log = logging.getLogger("nexus_emulator.identity")
EXTERNAL_ALGORITHMS = ("RS256", "PS256", "ES256")


@dataclass
class Authorizer:
    discovery_url: str
    issuer: str
    jwks_uri: str
    audiences: list[str] = field(default_factory=list)
    clients: list[str] = field(default_factory=list)
    algorithms: list[str] = field(default_factory=lambda: ["RS256", "ES256"])
    keys: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("keys")
        data["key_ids"] = sorted(self.keys)
        return data


DISCOVERY_URL = re.compile(r"^https?://[^/?#\x00-\x20\x7f]+")  # a scheme and a host


class AuthorizerError(Exception):
    """The discovery document or the JWKS could not be used; the message says why."""


class IssuerUnreadable(AuthorizerError):
    """The issuer's discovery document or keys could not be fetched: nothing usable there."""


async def discover(
    discovery_url: str, audiences: list[str], clients: list[str], timeout: float = 10
) -> Authorizer:
    """Read the issuer's discovery document and its keys."""
    import httpx

    if not DISCOVERY_URL.match(discovery_url):
        raise AuthorizerError("the discovery URL must be an http(s):// URL with a host")
    if not audiences and not clients:
        raise AuthorizerError("name at least one allowed audience or allowed client")
    async with httpx.AsyncClient(timeout=timeout) as http:
        try:
            conf = (await http.get(discovery_url)).raise_for_status().json()
            issuer, jwks_uri = conf["issuer"], conf["jwks_uri"]
        except (httpx.HTTPError, httpx.InvalidURL, ValueError, KeyError, TypeError) as exc:
            raise IssuerUnreadable(f"cannot read the discovery document: {exc}") from None
        announced = conf.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [a for a in EXTERNAL_ALGORITHMS if a in announced]
        if not algorithms:
            raise AuthorizerError(
                f"the issuer signs with {announced}; accepted: {', '.join(EXTERNAL_ALGORITHMS)}"
            )
        auth = Authorizer(discovery_url, issuer, jwks_uri, audiences, clients, algorithms)
        auth.keys = await _fetch_keys(http, jwks_uri)
    return auth


async def _fetch_keys(http: Any, jwks_uri: str) -> dict[str, Any]:
    import httpx
    import jwt

    try:
        data = (await http.get(jwks_uri)).raise_for_status().json()
        keyset = jwt.PyJWKSet.from_dict(data)
    except (httpx.HTTPError, ValueError, jwt.PyJWKSetError) as exc:
        raise IssuerUnreadable(f"cannot read the issuer's keys at {jwks_uri}: {exc}") from None
    return {k.key_id: k.key for k in keyset.keys if k.key_id}


class Authorizers:
    def __init__(self, home: Path) -> None:
        self.path = home / "identity" / "authorizers.json"
        self._by_agent: dict[str, Authorizer] = {}
        self._cache: dict[str, Principal] = {}

    def load(self) -> None:
        try:
            raw = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return
        self._by_agent = {agent: Authorizer(**entry) for agent, entry in raw.items()}

    def _save(self) -> None:
        data = {
            a: {k: v for k, v in asdict(x).items() if k != "keys"}
            for a, x in self._by_agent.items()
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=1)
        os.replace(tmp, self.path)
        self._cache.clear()

    async def refresh(self) -> None:
        """Fetch every issuer's keys again (at start; a failure leaves that issuer keyless)."""
        if not self._by_agent:
            return
        # httpx imports Rich and its transports (~100 ms): not on the loop that is serving
        httpx = await asyncio.to_thread(import_module, "httpx")
        async with httpx.AsyncClient(timeout=10) as http:
            for agent, auth in self._by_agent.items():
                try:
                    auth.keys = await _fetch_keys(http, auth.jwks_uri)
                except AuthorizerError as exc:
                    log.warning("agent %s: %s", agent, exc)
        self._cache.clear()

    def set(self, agent: str, auth: Authorizer) -> None:
        self._by_agent[agent] = auth
        self._save()

    def get(self, agent: str) -> Authorizer | None:
        return self._by_agent.get(agent)

    def delete(self, agent: str) -> bool:
        found = self._by_agent.pop(agent, None) is not None
        if found:
            self._save()
        return found

    def trusts(self, agent: str) -> bool:
        return agent in self._by_agent

    def verify(self, agent: str, token: str) -> Principal:
        key = f"{agent}\0{token}"
        hit = self._cache.get(key)
        if (
            hit is not None
            and hit.expires_at is not None
            and time.time() <= hit.expires_at + LEEWAY
        ):
            return hit
        principal = self._verify(agent, token)
        if len(self._cache) >= 10_000:
            self._cache.clear()
        self._cache[key] = principal
        return principal

    def _verify(self, agent: str, token: str) -> Principal:
        import jwt

        auth = self._by_agent.get(agent)
        if auth is None:
            raise InvalidToken(f"agent {agent!r} trusts no external issuer")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as exc:
            raise InvalidToken(f"the token is not a JWT: {exc}") from None
        kid = checked_header(header, tuple(auth.algorithms), "the discovery URL")
        alg = header["alg"]
        public = auth.keys.get(kid) if isinstance(kid, str) else None
        if public is None:
            raise InvalidToken(f"unknown key id {header.get('kid')!r} for issuer {auth.issuer}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                public,
                algorithms=[alg],
                issuer=auth.issuer,
                audience=auth.audiences or None,
                leeway=LEEWAY,
                options={"require": ["exp", "iss", "sub"], "verify_aud": bool(auth.audiences)},
            )
        except jwt.InvalidAudienceError:
            raise InvalidToken(f"wrong audience: allowed {', '.join(auth.audiences)}") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken(f"wrong issuer: expected {auth.issuer}") from None
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("the token is not valid yet (nbf/iat in the future)") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("the signature does not verify") from None
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"invalid token: {exc}") from None
        client = claims.get("client_id") or claims.get("azp")
        if auth.clients and client not in auth.clients:
            raise InvalidToken(f"client {client!r} is not allowed: {', '.join(auth.clients)}")
        scope = claims.get("scope", "")
        return Principal(
            subject=str(claims["sub"]),
            scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
            kind="external",
            agent=agent,
            expires_at=float(claims["exp"]),
            claims=claims,
        )
