"""The outbound credential vault: what an agent presents to other services.

Per agent, named credentials of two kinds, encrypted at rest with the secrets
key (``vault.py``): an API key, or an OAuth2 client (token URL, client id and
secret) for the client-credentials grant (RFC 6749 §4.4). Values never come
back on the control plane (listing shows names and kinds); a replica fetches
them through the platform API with its workload token, which names its agent:
so it reaches its own agent's credentials and no one else's. OAuth2 access
tokens are obtained from the provider's token endpoint and cached until
shortly before they expire.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from nexus_emulator import errors
from nexus_emulator.store import Store
from nexus_emulator.vault import Vault

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
KINDS = ("api_key", "oauth2")
EARLY = 30.0  # seconds before expiry a cached access token is fetched again


@dataclass(frozen=True)
class CredentialInfo:
    name: str
    kind: str
    updated_at: float


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise errors.usage(
            f"invalid credential name {name!r}: lower-case letters, digits, ., _ and -",
            hint="e.g. github or crm",
        )
    return name


class Credentials:
    def __init__(self, store: Store, vault: Vault) -> None:
        self.store = store
        self.vault = vault
        self._tokens: dict[tuple[str, str, str], tuple[dict[str, Any], float]] = {}

    def set(self, agent: str, name: str, kind: str, values: dict[str, str]) -> CredentialInfo:
        check_name(name)
        if kind not in KINDS:
            raise errors.usage(f"unknown credential kind {kind!r}", hint="api_key or oauth2")
        blob = self.vault.encrypt(json.dumps(values))
        now = time.time()
        with self.store.conn:
            self.store.conn.execute("BEGIN IMMEDIATE")
            self.store.conn.execute(
                "INSERT INTO credentials(agent, name, kind, ciphertext, updated_at) "
                "VALUES (?,?,?,?,?) ON CONFLICT(agent, name) DO UPDATE SET kind=excluded.kind, "
                "ciphertext=excluded.ciphertext, updated_at=excluded.updated_at",
                (agent, name, kind, blob, now),
            )
        self._forget_tokens(agent, name)
        return CredentialInfo(name, kind, now)

    def listed(self, agent: str) -> list[CredentialInfo]:
        rows = self.store.conn.execute(
            "SELECT name, kind, updated_at FROM credentials WHERE agent=? ORDER BY name", (agent,)
        ).fetchall()
        return [CredentialInfo(r[0], r[1], r[2]) for r in rows]

    def delete(self, agent: str, name: str) -> bool:
        with self.store.conn:
            self.store.conn.execute("BEGIN IMMEDIATE")
            cur = self.store.conn.execute(
                "DELETE FROM credentials WHERE agent=? AND name=?", (agent, name)
            )
        self._forget_tokens(agent, name)
        return cur.rowcount > 0

    def _forget_tokens(self, agent: str, name: str) -> None:
        for key in [k for k in self._tokens if k[:2] == (agent, name)]:
            del self._tokens[key]

    def _values(self, agent: str, name: str, kind: str) -> dict[str, str]:
        row = self.store.conn.execute(
            "SELECT kind, ciphertext FROM credentials WHERE agent=? AND name=?", (agent, name)
        ).fetchone()
        if row is None:
            raise errors.not_found(
                f"{agent} has no credential named {name!r}",
                hint=f"nexus ai agent credential set {agent} {name} ...",
            )
        if row[0] != kind:
            raise errors.usage(f"credential {name!r} is {row[0]}, not {kind}")
        values: dict[str, str] = json.loads(self.vault.decrypt(row[1]))
        return values

    def api_key(self, agent: str, name: str) -> str:
        return self._values(agent, name, "api_key")["api_key"]

    async def oauth_token(self, agent: str, name: str, scopes: list[str]) -> dict[str, Any]:
        """An access token of the client-credentials grant, cached until shortly before expiry."""
        row = self.store.conn.execute(
            "SELECT updated_at FROM credentials WHERE agent=? AND name=?", (agent, name)
        ).fetchone()
        # keyed by when the credential was set: a changed or re-created one starts afresh
        key = (agent, name, f"{row[0] if row else 0}\0" + " ".join(sorted(scopes)))
        cached = self._tokens.get(key)
        if cached is not None and time.time() < cached[1] - EARLY:
            return {**cached[0], "cached": True}
        client = self._values(agent, name, "oauth2")
        answer = await _client_credentials(client, scopes)
        expires_at = time.time() + float(answer.get("expires_in") or 3600)
        token = {
            "access_token": answer["access_token"],
            "token_type": answer.get("token_type", "Bearer"),
            "expires_at": expires_at,
            "scope": answer.get("scope", " ".join(scopes)),
        }
        self._tokens[key] = (token, expires_at)
        return {**token, "cached": False}


async def _client_credentials(client: dict[str, str], scopes: list[str]) -> dict[str, Any]:
    import httpx

    form = {"grant_type": "client_credentials"}
    if scopes:
        form["scope"] = " ".join(scopes)
    try:
        async with httpx.AsyncClient(timeout=15) as http:
            response = await http.post(
                client["token_url"],
                data=form,
                auth=(client["client_id"], client["client_secret"]),
                headers={"Accept": "application/json"},
            )
    except httpx.HTTPError as exc:
        raise errors.failed(
            f"the token endpoint {client['token_url']} did not answer: {exc}", status=502
        ) from None
    try:
        answer: dict[str, Any] = response.json()
    except ValueError:
        answer = {}
    if response.status_code != 200 or "access_token" not in answer:
        reason = answer.get("error_description") or answer.get("error") or response.text[:200]
        raise errors.failed(
            f"the token endpoint refused the client (HTTP {response.status_code}): {reason}",
            hint="check the client id and secret: nexus ai agent credential set ... --oauth2",
            status=502,
        )
    return answer
