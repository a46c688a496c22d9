"""A second OIDC issuer on loopback for the tests: discovery and JWKS over real HTTP."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt

from tests.emulator.http_support import JsonHandler, serve


class SecondIssuer:
    """Another OIDC issuer on loopback: discovery and JWKS over real HTTP, RS256 tokens."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = {"keys": [{**jwk, "kid": "second-1", "use": "sig", "alg": "RS256"}]}
        issuer = self

        class Handler(JsonHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    body: dict[str, Any] = {
                        "issuer": issuer.url,
                        "jwks_uri": issuer.url + "/keys",
                        "id_token_signing_alg_values_supported": ["RS256"],
                    }
                elif self.path == "/keys":
                    body = issuer.jwks
                else:
                    self.send_error(404)
                    return
                self.answer(200, body)

        self.server, self.url = serve(Handler)

    def token(self, key: Any = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": self.url,
            "sub": "carol",
            "aud": "echo-api",
            "client_id": "web",
            "iat": now,
            "exp": now + 300,
            "scope": "openid",
            **claims,
        }
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": "second-1"})
