"""A Standard Webhooks verifier written from the specification's text, independent of the
emulator's code: the secret is base64 after the ``whsec_`` prefix; the signed content is
``"{webhook-id}.{webhook-timestamp}.{body}"``; ``webhook-signature`` is a space-delimited
list of ``v1,<base64 HMAC-SHA256>``, any of which may match; timestamps older or newer
than five minutes are refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

TOLERANCE = 5 * 60


class Invalid(Exception):
    pass


def verify(secret: str, headers: Mapping[str, str], body: bytes) -> None:
    msg_id = headers["webhook-id"]
    stamp = headers["webhook-timestamp"]
    if abs(time.time() - int(stamp)) > TOLERANCE:
        raise Invalid("timestamp outside the tolerance")
    key = base64.b64decode(secret[len("whsec_") :] if secret.startswith("whsec_") else secret)
    content = msg_id.encode() + b"." + stamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest())
    for versioned in headers["webhook-signature"].split(" "):
        version, _, sig = versioned.partition(",")
        if version == "v1" and hmac.compare_digest(sig.encode(), expected):
            return
    raise Invalid("no matching signature")
