"""Recovery codes: ten single-use codes, shown once, for when the phone or key is lost
(NIST SP 800-63B §5.1.2 "look-up secrets").

Stored as HMAC-SHA256 under a server key held by the key provider, not argon2id: each code
carries 50 random bits, so there is no dictionary for a slow hash to defend against, and the key
means a stolen database alone is not enough to test guesses offline. Checking compares every
unused code in constant time (no early exit); using one is a compare-and-set on `used_at`, so
two concurrent requests cannot both spend it. Regenerating deletes every earlier code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from audit import AuditEvent, AuditSink, Outcome
from idp.clock import Clock
from idp.signin.mfa.models import RecoveryCode
from storage import UnitOfWork

COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt
_LENGTH = 10  # 31^10 ≈ 2^49.5


def normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _display(raw: str) -> str:
    return f"{raw[:5]}-{raw[5:]}"


class RecoveryCodes:
    def __init__(
        self, db: sessionmaker[Session], key: bytes, audit: AuditSink, clock: Clock
    ) -> None:
        self._db, self._key, self._audit, self._clock = db, key, audit, clock

    def _hash(self, user_id: str, code: str) -> str:
        # Bound to the user: a code (or its hash) from one account means nothing for another.
        return hmac.new(self._key, f"{user_id}:{code}".encode(), hashlib.sha256).hexdigest()

    def generate(self, user_id: str, *, actor: str) -> list[str]:
        """Fresh codes replacing every earlier one; the only time they are ever readable."""
        raw = ["".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH)) for _ in range(COUNT)]
        now = self._clock()
        with self._db.begin() as s:
            s.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
            for code in raw:
                s.add(
                    RecoveryCode(
                        user_id=user_id, code_hash=self._hash(user_id, code), created_at=now
                    )
                )
            self._audit.record(
                AuditEvent("mfa.recovery.generate", actor=actor, subject=user_id),
                work=UnitOfWork.of(s),
            )
        return [_display(c) for c in raw]

    def remaining(self, user_id: str) -> int:
        with self._db() as s:
            stmt = select(func.count()).where(
                RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
            )
            return int(s.scalar(stmt) or 0)

    def use(self, user_id: str, code: str) -> bool:
        wanted = self._hash(user_id, normalise(code))
        with self._db() as s:
            rows = s.execute(
                select(RecoveryCode.id, RecoveryCode.code_hash).where(
                    RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
                )
            ).all()
        match: int | None = None
        for row_id, stored in rows:
            if hmac.compare_digest(stored, wanted):
                match = row_id
        spent = False
        if match is not None:
            with self._db.begin() as s:
                result = s.execute(
                    update(RecoveryCode)
                    .where(RecoveryCode.id == match, RecoveryCode.used_at.is_(None))
                    .values(used_at=self._clock())
                )
                spent = getattr(result, "rowcount", 0) == 1
        self._audit.record(
            AuditEvent(
                "mfa.recovery.use",
                Outcome.SUCCESS if spent else Outcome.FAILURE,
                actor=user_id,
                subject=user_id,
                detail={"remaining": self.remaining(user_id)} if spent else {},
            )
        )
        return spent

    def clear(self, user_id: str, *, actor: str) -> None:
        with self._db.begin() as s:
            s.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
            self._audit.record(
                AuditEvent("mfa.recovery.clear", actor=actor, subject=user_id),
                work=UnitOfWork.of(s),
            )
