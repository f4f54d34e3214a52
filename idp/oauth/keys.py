"""Signing keys: generated on first run, sealed at rest through vault, published as JWKS,
and rotated with overlap: a retired key stops signing at once but stays in JWKS until every
token it signed has expired.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from audit import AuditEvent, AuditSink
from idp.clock import Clock, aware
from idp.errors import IdpError
from idp.oauth.jws import CompactSigner, Key
from idp.oauth.models import SigningKey
from storage import UnitOfWork
from vault import EnvelopeCipher, FieldContext

warnings.filterwarnings("ignore", message="EdDSA is deprecated")

ALGORITHMS = ("RS256", "ES256", "EdDSA")
SUBJECT = "system:signing-keys"


class InvalidSignature(IdpError):
    """A JWT did not verify against any published key."""

    code = "invalid_signature"


def _generate(alg: str) -> Key:
    if alg == "RS256":
        return RSAKey.generate_key(2048)
    if alg == "ES256":
        return ECKey.generate_key("P-256")
    if alg == "EdDSA":
        return OKPKey.generate_key("Ed25519")
    raise ValueError(f"unsupported algorithm {alg}")


def _import(jwk: dict[str, Any]) -> Key:
    kty = jwk["kty"]
    if kty == "RSA":
        return RSAKey.import_key(jwk)
    if kty == "EC":
        return ECKey.import_key(jwk)
    return OKPKey.import_key(jwk)


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    alg: str
    key: Key
    public: dict[str, Any]
    signing: bool


class KeyRing:
    def __init__(
        self,
        db: sessionmaker[Session],
        cipher: EnvelopeCipher,
        audit: AuditSink,
        clock: Clock,
        overlap: timedelta,
        reload_every: float = 30.0,
    ) -> None:
        self._db, self._cipher, self._audit, self._clock = db, cipher, audit, clock
        self._overlap = overlap
        self._reload_every = reload_every
        self._lock = threading.Lock()
        self._loaded_at = -1e9
        self._keys: list[LoadedKey] = []
        self._keyset = KeySet([])
        self._signers: dict[str, CompactSigner] = {}

    # -- storage ------------------------------------------------------------------------------
    def _ctx(self, kid: str) -> FieldContext:
        return FieldContext(SUBJECT, "idp_signing_keys", "private_jwk", kid)

    def _new_row(self, alg: str) -> SigningKey:
        key = _generate(alg)
        kid = key.thumbprint()
        private = dict(key.as_dict(private=True), kid=kid, alg=alg, use="sig")
        public = dict(key.as_dict(private=False), kid=kid, alg=alg, use="sig")
        return SigningKey(
            kid=kid,
            alg=alg,
            private_jwk_ct=self._cipher.seal(json.dumps(private), self._ctx(kid)),
            public_jwk=public,
            created_at=self._clock(),
        )

    def ensure(self) -> None:
        """Create a signing key for every algorithm that has none (first run)."""
        with self._db.begin() as s:
            active = {
                k.alg for k in s.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None)))
            }
            for alg in ALGORITHMS:
                if alg not in active:
                    row = self._new_row(alg)
                    s.add(row)
                    self._audit.record(
                        AuditEvent("key.create", actor="system", detail={"kid": row.kid}),
                        work=UnitOfWork.of(s),
                    )
        self._reload()

    def rotate(self, *, actor: str = "operator") -> list[str]:
        """New keys for every algorithm; the old ones retire but stay published for overlap."""
        now = self._clock()
        new: list[str] = []
        with self._db.begin() as s:
            for old in s.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
                old.retired_at = now
                old.expires_at = now + self._overlap
            for alg in ALGORITHMS:
                row = self._new_row(alg)
                s.add(row)
                new.append(row.kid)
            self._audit.record(
                AuditEvent("key.rotate", actor=actor, detail={"new": new}), work=UnitOfWork.of(s)
            )
        self._reload()
        return new

    def rows(self) -> list[SigningKey]:
        with self._db() as s:
            return list(s.scalars(select(SigningKey).order_by(SigningKey.created_at)))

    def _reload(self) -> None:
        # Public halves only: JWKS and verification keep working while the key service is
        # down. Private halves are opened on first signing use and cached (they never change).
        now = self._clock()
        loaded: list[LoadedKey] = []
        for row in self.rows():
            if row.expires_at is not None and aware(row.expires_at) <= now:
                continue
            public = _import(row.public_jwk)
            loaded.append(
                LoadedKey(row.kid, row.alg, public, row.public_jwk, row.retired_at is None)
            )
        keyset = KeySet([k.key for k in loaded])
        with self._lock:
            self._keys = loaded
            self._keyset = keyset
            self._loaded_at = time.monotonic()

    def _signer(self, k: LoadedKey) -> CompactSigner:
        signer = self._signers.get(k.kid)
        if signer is None:
            with self._db() as s:
                row = s.get(SigningKey, k.kid)
            if row is None:
                raise LookupError(f"signing key {k.kid} is gone")
            key = _import(json.loads(self._cipher.open(row.private_jwk_ct, self._ctx(k.kid))))
            signer = CompactSigner(key, k.alg, k.kid)
            self._signers[k.kid] = signer
        return signer

    def _current(self) -> list[LoadedKey]:
        # Bounded staleness: a rotation on another worker is seen within `reload_every`.
        if time.monotonic() - self._loaded_at > self._reload_every:
            self._reload()
        return self._keys

    # -- use ----------------------------------------------------------------------------------
    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.public for k in self._current()]}

    def signing_key(self, alg: str) -> LoadedKey:
        for k in reversed(self._current()):
            if k.signing and k.alg == alg:
                return k
        raise LookupError(f"no active signing key for {alg}")

    def sign(self, claims: dict[str, Any], alg: str = "RS256", typ: str = "JWT") -> str:
        return self._signer(self.signing_key(alg)).sign(claims, typ)

    def verify(self, token: str, algorithms: tuple[str, ...] = ALGORITHMS) -> dict[str, Any]:
        """Claims of a JWT we signed (signature only: the caller checks exp, aud, typ)."""
        if not isinstance(token, str) or len(token) > 16_384 or token.count(".") != 2:
            raise InvalidSignature("not a compact JWS")
        keys = self._current()
        try:
            header = json.loads(_b64decode(token.split(".", 1)[0]))
            kid = header.get("kid")
            if kid and all(k.kid != kid for k in keys):
                self._reload()  # a key created by another worker since our last load
            decoded = jwt.decode(token, self._keyset, algorithms=list(algorithms))
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise InvalidSignature(str(exc)) from exc
        claims = dict(decoded.claims)
        claims["_header"] = dict(decoded.header)
        return claims


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
