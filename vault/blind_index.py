"""Keyed blind indexes for exact-match lookups of encrypted values (login by NIK or email).

HMAC-SHA256 under a provider-held key per index, over normalised input, truncated. Never an
unkeyed hash: NIK has only ~2^39 values, so an unkeyed hash would be a lookup table. A truncated
index can collide, so callers confirm a match by decrypting the candidate rows.
"""

from __future__ import annotations

import unicodedata

from vault.provider import KeyProvider

# 64 bits: collisions stay rare at national scale (2^32 rows before a birthday collision is
# likely) while the index alone never pins down a value beyond what the key protects.
DEFAULT_BITS = 64


def normalise(kind: str, value: str) -> str:
    value = unicodedata.normalize("NFKC", value).strip()
    if kind in ("email", "username"):
        return value.casefold()
    if kind in ("nik", "phone"):
        return "".join(ch for ch in value if ch.isdigit())
    return value


class BlindIndex:
    def __init__(self, provider: KeyProvider, bits: int = DEFAULT_BITS) -> None:
        if bits % 8 or not 32 <= bits <= 256:
            raise ValueError("bits must be a multiple of 8 between 32 and 256")
        self._provider = provider
        self._bytes = bits // 8

    def compute(self, kind: str, value: str) -> str:
        digest = self._provider.mac(f"blind-index:{kind}", normalise(kind, value).encode())
        return digest[: self._bytes].hex()
