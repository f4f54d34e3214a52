"""Sign-ins whose password was right, waiting for the second factor (NIST SP 800-63B §4.2).

Such a sign-in is not an SSO session: it lives in a table and a cookie of its own, so nothing
that looks up a session — the account pages, consent, the authorization endpoint — can ever see
it. Only the second-factor step reads it; once the factor is verified it is consumed and a
session is established. It expires after a few minutes, like the form it stands for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session, sessionmaker

from audit import AuditEvent, AuditSink
from idp.clock import Clock, aware
from idp.secrets import new_secret, secret_hash
from idp.signin.models import PendingSignIn
from storage import UnitOfWork

_INSERT = insert(PendingSignIn)


@dataclass(frozen=True)
class SecondFactorDue:
    """The user whose password was right, and the factors already used (`amr`)."""

    user_id: str
    amr: list[str]


class PendingSignIns:
    def __init__(
        self, db: sessionmaker[Session], audit: AuditSink, clock: Clock, ttl: timedelta
    ) -> None:
        self._db, self._audit, self._clock, self._ttl = db, audit, clock, ttl

    def begin(self, user_id: str, amr: list[str], *, work: UnitOfWork) -> str:
        """Record the first factor inside `work` (its owner commits); returns the cookie."""
        now = self._clock()
        cookie = new_secret()
        work.execute(
            _INSERT,
            {
                "secret_hash": secret_hash(cookie),
                "user_id": user_id,
                "amr": list(amr),
                "created_at": now,
                "expires_at": now + self._ttl,
            },
        )
        self._audit.record(
            AuditEvent(
                "login.second_factor_due", actor=user_id, subject=user_id, detail={"amr": amr}
            ),
            work=work,
        )
        return cookie

    def lookup(self, cookie: str | None) -> SecondFactorDue | None:
        if not cookie or len(cookie) > 128:
            return None
        with self._db() as s:
            row = s.get(PendingSignIn, secret_hash(cookie))
            if row is None or aware(row.expires_at) <= self._clock():
                return None
            return SecondFactorDue(row.user_id, list(row.amr or []))

    def consume(self, cookie: str | None) -> bool:
        """Use it up once its second factor is verified: True for exactly one caller, so two
        concurrent second factors cannot both turn one password into a session."""
        if not cookie or len(cookie) > 128:
            return False
        with self._db.begin() as s:
            done = s.execute(
                delete(PendingSignIn).where(
                    PendingSignIn.secret_hash == secret_hash(cookie),
                    PendingSignIn.expires_at > self._clock(),
                )
            )
        return getattr(done, "rowcount", 0) == 1
