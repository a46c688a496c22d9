"""The identity parts of one emulator, made once at start."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

from nexus_emulator.identity.external import Authorizers
from nexus_emulator.identity.guard import Guard
from nexus_emulator.identity.keys import LEEWAY, MAX_TOKEN_TTL, KeyRing, installation_key
from nexus_emulator.identity.tokens import (
    ALGORITHMS,
    KNOWN_SCOPES,
    WORKLOAD_TTL,
    Issuer,
    Verifier,
    service_account,
)

JWKS_PATH = "/.well-known/jwks.json"


class Identity:
    def __init__(
        self, home: Path, issuer: str, admin_token: str, workload_ttl: float = WORKLOAD_TTL
    ) -> None:
        self.issuer_url = issuer
        self.workload_ttl = workload_ttl
        self.platform_url: str | None = None  # where replicas reach the platform, when they can
        self.keys = KeyRing(home)
        self.keys.load()
        self.issuer = Issuer(self.keys, issuer)
        self.verifier = Verifier(self.keys, issuer)
        self.authorizers = Authorizers(home)
        self.authorizers.load()
        self.guard = Guard(admin_token, self.verifier, self.authorizers)
        self._secret = installation_key(home)

    def digest(self, value: str) -> str:
        """A keyed digest of a secret value: tells versions apart, confirms no guess."""
        mac = hmac.new(self._secret, b"secret-digest\0" + value.encode(), hashlib.sha256)
        return "hmac-sha256:" + mac.hexdigest()[:12]

    def replica_secret(self, agent: str, env: str, revision: int, replica: int) -> str:
        """What the emulator presents to one replica (and only it can check)."""
        label = f"replica\0{agent}\0{env}\0{revision}\0{replica}".encode()
        return hmac.new(self._secret, label, hashlib.sha256).hexdigest()

    def platform_file(self, agent: str, env: str, revision: int, replica: int) -> dict[str, Any]:
        """What one replica's ``platform.json`` holds: a fresh workload token and more."""
        token, expires_at = self.issuer.workload(agent, env, self.workload_ttl)
        return {
            "service_account": service_account(agent, env),
            "workload_token": token,
            "expires_at": expires_at,
            "replica_secret": self.replica_secret(agent, env, revision, replica),
            "platform_url": self.platform_url,
        }

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer_url,
            "jwks_uri": self.issuer_url + JWKS_PATH,
            "token_endpoint": self.issuer_url + "/v1/identity/tokens",
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": list(ALGORITHMS),
            "scopes_supported": list(KNOWN_SCOPES),
            "claims_supported": ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "agent"],
            "nexus_max_token_ttl": MAX_TOKEN_TTL,
            "nexus_leeway": LEEWAY,
        }
