"""Authenticator-app codes (TOTP, RFC 6238): enrolment with a QR code, verification with a
one-step window either side (RFC 6238 §5.2), and no replay.

The secret is sealed through vault, bound to (user, table, column, row). Each accepted code
records its time-step; the update is a compare-and-set (`last_step < step`), so two workers
racing with the same code cannot both accept it, and an older code is never accepted after a
newer one.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import pyotp
import segno
from sqlalchemy import BindParameter, Select, delete, exists, select, update
from sqlalchemy.orm import Session, sessionmaker

from audit import AuditEvent, AuditSink, Outcome
from idp.clock import Clock
from idp.errors import Conflict, NotFound
from idp.signin.mfa.models import TotpFactor
from storage import UnitOfWork
from vault import EnvelopeCipher, FieldContext

TABLE = "idp_mfa_totp"
PERIOD = 30
DIGITS = 6
WINDOW = 1  # steps accepted either side of now: clock drift of the phone


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str  # base32, for manual entry
    uri: str  # otpauth://
    qr_svg_data_uri: str


def looks_like_totp(value: str) -> bool:
    return len(value) == DIGITS and value.isascii() and value.isdigit()


class TotpFactors:
    def __init__(
        self,
        db: sessionmaker[Session],
        cipher: EnvelopeCipher,
        audit: AuditSink,
        clock: Clock,
        issuer_name: str = "SatuPintu",
    ) -> None:
        self._db, self._cipher, self._audit, self._clock = db, cipher, audit, clock
        self._issuer = issuer_name

    def _ctx(self, user_id: str) -> FieldContext:
        return FieldContext(subject=user_id, table=TABLE, column="secret", row=user_id)

    def _enrolment(self, secret: str, label: str) -> TotpEnrolment:
        uri = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).provisioning_uri(
            name=label, issuer_name=self._issuer
        )
        data_uri = segno.make(uri, error="m").svg_data_uri(scale=4, border=2)
        return TotpEnrolment(secret, uri, data_uri)

    def begin(self, user_id: str, label: str) -> TotpEnrolment:
        """A new pending secret (replacing any earlier pending one); active once confirmed."""
        secret = pyotp.random_base32(32)  # 160 bits, RFC 4226 §4 recommendation
        now = self._clock()
        with self._db.begin() as s:
            row = s.get(TotpFactor, user_id)
            if row is not None and row.confirmed_at is not None:
                raise Conflict("an authenticator app is already set up")
            if row is None:
                row = TotpFactor(user_id=user_id, created_at=now)
                s.add(row)
            row.secret_ct = self._cipher.seal(secret, self._ctx(user_id))
            row.created_at, row.last_step = now, None
        return self._enrolment(secret, label)

    def pending(self, user_id: str, label: str) -> TotpEnrolment | None:
        with self._db() as s:
            row = s.get(TotpFactor, user_id)
            if row is None or row.confirmed_at is not None:
                return None
            return self._enrolment(self._cipher.open(row.secret_ct, self._ctx(user_id)), label)

    def confirm(self, user_id: str, code: str, *, actor: str) -> bool:
        """Activate a pending secret once the user shows a code from it."""
        if not self._accept(user_id, code, pending=True):
            return False
        self._activate(user_id, AuditEvent("mfa.totp.enrol", actor=actor, subject=user_id))
        return True

    def provision(self, user_id: str, label: str, *, actor: str) -> TotpEnrolment:
        """Operator-assisted enrolment: active at once (the operator hands the secret over)."""
        enrolment = self.begin(user_id, label)
        self._activate(
            user_id,
            AuditEvent("mfa.totp.enrol", actor=actor, subject=user_id, detail={"by": actor}),
        )
        return enrolment

    def _activate(self, user_id: str, event: AuditEvent) -> None:
        with self._db.begin() as s:
            s.execute(
                update(TotpFactor)
                .where(TotpFactor.user_id == user_id)
                .values(confirmed_at=self._clock())
            )
            self._audit.record(event, work=UnitOfWork.of(s))

    @staticmethod
    def confirmed(user_id: str | BindParameter[str]) -> Select[str]:
        """The user's confirmed TOTP factor, as a query (SecondFactors asks it with others)."""
        return select(TotpFactor.user_id).where(
            TotpFactor.user_id == user_id, TotpFactor.confirmed_at.is_not(None)
        )

    def enrolled(self, user_id: str) -> bool:
        with self._db() as s:
            return bool(s.scalar(select(exists(self.confirmed(user_id)))))

    def verify(self, user_id: str, code: str) -> bool:
        ok = self._accept(user_id, code, pending=False)
        if not ok:
            self._audit.record(
                AuditEvent("mfa.totp.verify", Outcome.FAILURE, actor=user_id, subject=user_id)
            )
        return ok

    def _accept(self, user_id: str, code: str, *, pending: bool) -> bool:
        code = code.strip().replace(" ", "")
        if not looks_like_totp(code):
            return False
        with self._db() as s:
            row = s.get(TotpFactor, user_id)
            if row is None or (row.confirmed_at is None) != pending:
                return False
            secret = self._cipher.open(row.secret_ct, self._ctx(user_id))
        totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
        now_step = totp.timecode(self._clock())
        matched: int | None = None
        for step in range(now_step - WINDOW, now_step + WINDOW + 1):
            # Check every step (no early exit) so timing does not reveal which one matched.
            if hmac.compare_digest(totp.generate_otp(step), code):
                matched = step
        if matched is None:
            return False
        with self._db.begin() as s:
            result = s.execute(
                update(TotpFactor)
                .where(
                    TotpFactor.user_id == user_id,
                    (TotpFactor.last_step.is_(None)) | (TotpFactor.last_step < matched),
                )
                .values(last_step=matched)
            )
            return bool(getattr(result, "rowcount", 0) == 1)

    def remove(self, user_id: str, *, actor: str) -> None:
        with self._db.begin() as s:
            gone = s.execute(delete(TotpFactor).where(TotpFactor.user_id == user_id))
            if not getattr(gone, "rowcount", 0):
                raise NotFound("no authenticator app is set up")
            self._audit.record(
                AuditEvent("mfa.totp.remove", actor=actor, subject=user_id), work=UnitOfWork.of(s)
            )
