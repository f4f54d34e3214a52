"""Random secrets and their at-rest hashes.

Codes, refresh tokens, session ids and client secrets are 256-bit random values, so a fast
SHA-256 hash is enough at rest (no dictionary to attack); comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def new_identifier(nbytes: int = 16) -> str:
    """A random public identifier (a client_id) that never starts with "-".

    Operators paste client ids as positional arguments (`satupintu clients update ID`); one in
    64 base64url values starts with "-" and a command line reads it as an option. Drawing again
    keeps the value uniform over the rest and costs under 0.03 bits.
    """
    value = secrets.token_urlsafe(nbytes)
    while value.startswith("-"):
        value = secrets.token_urlsafe(nbytes)
    return value


def secret_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def secret_matches(value: str, stored_hash: str | None) -> bool:
    if not stored_hash:
        return False
    return hmac.compare_digest(secret_hash(value), stored_hash)


def same_text(a: str, b: str) -> bool:
    """Constant-time equality of two strings, any characters included: compare_digest takes
    str only when both are ASCII (and raises TypeError otherwise), so this compares UTF-8
    (a lone surrogate, which JSON can carry, passes through rather than raising)."""
    return hmac.compare_digest(
        a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    )
