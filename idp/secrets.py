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


def secret_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def secret_matches(value: str, stored_hash: str | None) -> bool:
    if not stored_hash:
        return False
    return hmac.compare_digest(secret_hash(value), stored_hash)
