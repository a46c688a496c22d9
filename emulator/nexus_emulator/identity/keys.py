"""Signing keys: ES256 (P-256) private keys in PEM files, 0600, under ``$NEXUS_HOME/identity``.

``keys.json`` lists them oldest first with when each was created and retired. The
newest unretired key signs; every key retired less than ``MAX_TOKEN_TTL`` (+ leeway)
ago is still published in the JWKS, so tokens it signed verify until they expire.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nexus.settings import HomePaths

MAX_TOKEN_TTL = 24 * 3600  # the longest lifetime a token can be minted with (seconds)
LEEWAY = 60  # clock skew accepted on exp and nbf (seconds)


@dataclass
class SigningKey:
    kid: str
    created_at: float
    retired_at: float | None
    private: Any  # cryptography EllipticCurvePrivateKey
    public_jwk: dict[str, str]
    public: Any = None  # its public key object, made once (verification reuses it)

    def __post_init__(self) -> None:
        self.public = self.private.public_key()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(private: Any) -> dict[str, str]:
    """The public half as a JWK, ``kid`` set to its RFC 7638 thumbprint."""
    numbers = private.public_key().public_numbers()
    jwk = {
        "crv": "P-256",
        "kty": "EC",
        "x": _b64(numbers.x.to_bytes(32, "big")),
        "y": _b64(numbers.y.to_bytes(32, "big")),
    }
    canonical = json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()
    kid = _b64(hashlib.sha256(canonical).digest())[:22]
    return {**jwk, "kid": kid, "use": "sig", "alg": "ES256"}


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


class KeyRing:
    """The issuer's keys; safe to rotate while requests are verified."""

    def __init__(self, home: Path) -> None:
        self.folder = HomePaths(home).identity
        self._lock = threading.Lock()
        self._keys: list[SigningKey] = []
        self.generation = 0  # bumped on every change (caches keyed on it start over)

    # ------------------------------------------------------------ loading

    def load(self) -> None:
        """Read the keys (creating the first one when there is none)."""
        with self._lock:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.folder, 0o700)
            self._keys = [k for k in self._read() if k is not None]
            if not any(k.retired_at is None for k in self._keys):
                self._keys.append(self._new_key())
            self._prune(time.time())
            self._save_index()

    def _read(self) -> list[SigningKey | None]:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        try:
            index = json.loads((self.folder / "keys.json").read_text())
        except (OSError, ValueError):
            return []
        found: list[SigningKey | None] = []
        for entry in index:
            try:
                pem = (self.folder / f"{entry['kid']}.pem").read_bytes()
            except OSError:
                found.append(None)
                continue
            private = load_pem_private_key(pem, password=None)
            jwk = public_jwk(private)
            found.append(
                SigningKey(jwk["kid"], entry["created_at"], entry["retired_at"], private, jwk)
            )
        return found

    def _new_key(self) -> SigningKey:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        private = ec.generate_private_key(ec.SECP256R1())
        jwk = public_jwk(private)
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_private(self.folder / f"{jwk['kid']}.pem", pem)
        return SigningKey(jwk["kid"], time.time(), None, private, jwk)

    def _save_index(self) -> None:
        index = [
            {"kid": k.kid, "created_at": k.created_at, "retired_at": k.retired_at}
            for k in self._keys
        ]
        _write_private(self.folder / "keys.json", json.dumps(index, indent=1).encode())
        self.generation += 1

    def _prune(self, now: float) -> None:
        """Forget keys retired longer ago than any token they signed can live."""
        keep = []
        for k in self._keys:
            if k.retired_at is not None and now - k.retired_at > MAX_TOKEN_TTL + LEEWAY:
                (self.folder / f"{k.kid}.pem").unlink(missing_ok=True)
            else:
                keep.append(k)
        self._keys = keep

    # ------------------------------------------------------------ use

    def rotate(self) -> tuple[SigningKey, list[str]]:
        """A new signing key; the previous ones retire (still published). Returns the new
        key and the kids of keys dropped for good."""
        with self._lock:
            now = time.time()
            before = {k.kid for k in self._keys}
            for k in self._keys:
                if k.retired_at is None:
                    k.retired_at = now
            self._prune(now)
            new = self._new_key()
            self._keys.append(new)
            self._save_index()
            dropped = sorted(before - {k.kid for k in self._keys})
            return new, dropped

    @property
    def signing(self) -> SigningKey:
        return next(k for k in reversed(self._keys) if k.retired_at is None)

    def published(self) -> list[SigningKey]:
        return list(self._keys)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [k.public_jwk for k in self._keys]}

    def public_key(self, kid: str) -> Any:
        """The verification key of ``kid``, or None when it is not published."""
        for k in self._keys:
            if k.kid == kid:
                return k.public
        return None


def installation_key(home: Path) -> bytes:
    """32 random bytes of this installation (``$NEXUS_HOME/identity/installation.key``,
    0600): the key of the digests ``secret list`` shows and of the replica secrets."""
    folder = HomePaths(home).identity
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / "installation.key"
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        pass
    key = os.urandom(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex() + "\n")
    return key
