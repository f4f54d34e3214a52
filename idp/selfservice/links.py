"""Single-use, expiring tokens sent by email (verify an address, reset a password).

The link carries a 256-bit random secret; only its SHA-256 is stored. Redeeming is one
conditional UPDATE, so a link works once even when two workers race on it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from idp.clock import Clock, aware
from idp.secrets import new_secret, secret_hash
from idp.selfservice.models import AccountToken

VERIFY_EMAIL = "verify_email"
PASSWORD_RESET = "password_reset"


class AccountTokens:
    def __init__(self, db: sessionmaker[Session], clock: Clock) -> None:
        self._db, self._clock = db, clock

    def issue(self, user_id: str, purpose: str, ttl: int) -> str:
        """A new token; earlier unused tokens of the same purpose stop working."""
        now = self._clock()
        token = new_secret()
        with self._db.begin() as s:
            s.execute(
                update(AccountToken)
                .where(
                    AccountToken.user_id == user_id,
                    AccountToken.purpose == purpose,
                    AccountToken.used_at.is_(None),
                )
                .values(used_at=now)
            )
            s.add(
                AccountToken(
                    token_hash=secret_hash(token),
                    user_id=user_id,
                    purpose=purpose,
                    created_at=now,
                    expires_at=now + timedelta(seconds=ttl),
                )
            )
        return token

    def peek(self, token: str | None, purpose: str) -> str | None:
        """The user a live token belongs to, without using it up."""
        if not token or len(token) > 128:
            return None
        with self._db() as s:
            row = s.get(AccountToken, secret_hash(token))
            if (
                row is None
                or row.purpose != purpose
                or row.used_at is not None
                or aware(row.expires_at) <= self._clock()
            ):
                return None
            return row.user_id

    def redeem(self, s: Session, token: str | None, purpose: str) -> str | None:
        """Use the token up inside `s` (commit with the change it allows); its user or None."""
        if not token or len(token) > 128:
            return None
        now = self._clock()
        digest = secret_hash(token)
        result = s.execute(
            update(AccountToken)
            .where(
                AccountToken.token_hash == digest,
                AccountToken.purpose == purpose,
                AccountToken.used_at.is_(None),
                AccountToken.expires_at > now,
            )
            .values(used_at=now)
        )
        if int(getattr(result, "rowcount", 0) or 0) != 1:
            return None
        return s.scalar(select(AccountToken.user_id).where(AccountToken.token_hash == digest))
