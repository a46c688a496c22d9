"""A small OAuth2 token endpoint on loopback (client-credentials grant, RFC 6749 §4.4)."""

from __future__ import annotations

import base64
import urllib.parse

from tests.emulator.http_support import JsonHandler, serve


class TokenEndpoint:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self.hits = 0
        endpoint = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                basic = self.headers.get("Authorization", "").removeprefix("Basic ")
                user, _, password = base64.b64decode(basic or "Og==").decode().partition(":")
                if form.get("grant_type") != ["client_credentials"]:
                    self.answer(400, {"error": "unsupported_grant_type"})
                elif (user, password) != (client_id, client_secret):
                    self.answer(401, {"error": "invalid_client"})
                else:
                    endpoint.hits += 1
                    scope = form.get("scope", [""])[0]
                    self.answer(
                        200,
                        {
                            "access_token": f"at-{endpoint.hits}-{scope}",
                            "token_type": "Bearer",
                            "expires_in": 300,
                            "scope": scope,
                        },
                    )

        self.server, base = serve(Handler)
        self.url = base + "/oauth/token"

    def close(self) -> None:
        self.server.shutdown()
