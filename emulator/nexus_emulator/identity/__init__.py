"""The emulator as an OIDC issuer: signing keys, tokens, and who may call what.

- ``keys.KeyRing``: ES256 signing keys (``kid`` = JWK thumbprint) kept 0600 under
  ``$NEXUS_HOME/identity``; rotated without a restart, retired keys stay published
  for the longest token lifetime.
- ``tokens.Issuer`` mints caller and workload tokens; ``tokens.Verifier`` checks them
  (RFC 8725: one algorithm, iss, aud, exp and nbf with 60 s leeway, kid from the
  key ring, no ``jku``/``x5u``/``jwk`` header) and caches what it verified.
- ``guard.Guard`` turns an ``Authorization`` header and a route into a ``Principal``
  or a refusal (401 who are you, 403 not allowed).
"""
