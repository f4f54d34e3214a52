"""Compact JWS signing (RFC 7515 §7.1) with the protected header encoded once per key.

Every token we sign has one of a handful of headers (`alg`, `kid`, `typ`), so the header
segment is built once and reused; the signature itself comes from joserfc's algorithm (and
through it from `cryptography`). `joserfc.jwt.encode` re-validates and re-encodes the header
and resolves the key on every call, which measured about 7 % of a client_credentials token
(`docs/benchmarks.md`); everything we sign is verified with joserfc, as before.
"""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

from joserfc.jwk import ECKey, OKPKey, RSAKey
from joserfc.jws import JWSRegistry

Key = RSAKey | ECKey | OKPKey


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


class CompactSigner:
    """Signs JWT claims with one private key under one algorithm."""

    def __init__(self, key: Key, alg: str, kid: str) -> None:
        self._key, self._alg, self._kid = key, JWSRegistry.algorithms[alg], kid
        self._alg.check_key(key)
        self._name = alg
        self._headers: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def _header(self, typ: str) -> bytes:
        segment = self._headers.get(typ)
        if segment is None:
            header = {"typ": typ, "alg": self._name, "kid": self._kid}
            segment = _b64(json.dumps(header, separators=(",", ":")).encode("ascii"))
            with self._lock:
                self._headers[typ] = segment
        return segment

    def sign(self, claims: dict[str, Any], typ: str = "JWT") -> str:
        # The same payload encoding as joserfc.jwt.encode: compact, UTF-8, non-ASCII kept.
        payload = json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode()
        signing_input = self._header(typ) + b"." + _b64(payload)
        signature = self._alg.sign(signing_input, self._key)
        return (signing_input + b"." + _b64(signature)).decode("ascii")
