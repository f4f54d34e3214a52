"""Housekeeping: drop short-lived rows whose time has passed, so tables stay small and no
expired secret hash lingers longer than it must.

What is dropped, and when:
  authorization codes, refresh tokens   a day after they expired (a late replay still meets
                                        its row and is refused as a replay, not as unknown)
  login interactions, sign-ins waiting for a second factor, WebAuthn challenges, used
  client-assertion ids, account links (email verification, password reset), rate-limit
  counters, revoked-access-token entries
                                        as soon as they expired

  self-registered accounts never verified  `pending_ttl` after registration: the row, its
                                        links, and (crypto-shredded) its data key, so an
                                        abandoned sign-up stops holding its NIK and email

Grants, sessions, verified users, consents and the audit trail are never touched here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from audit import AuditEvent, AuditSink
from idp.accounts.models import User
from idp.clock import Clock
from idp.oauth.models import AuthorizationCode, RefreshToken, RevokedAccessToken, UsedAssertion
from idp.oidc.models import Interaction
from idp.selfservice.models import AccountToken
from idp.signin.mfa.models import WebAuthnChallenge
from idp.signin.models import PendingSignIn, RateCounter

REPLAY_MEMORY = timedelta(days=1)


class Housekeeping:
    def __init__(
        self,
        db: sessionmaker[Session],
        audit: AuditSink,
        clock: Clock,
        *,
        pending_ttl: timedelta = timedelta(days=7),
        shred: Callable[[str], object] = lambda _subject: None,
    ) -> None:
        self._db, self._audit, self._clock = db, audit, clock
        self._pending_ttl, self._shred = pending_ttl, shred

    def run(self) -> dict[str, int]:
        """One sweep, one transaction; returns rows dropped per table."""
        now = self._clock()
        late = now - REPLAY_MEMORY
        sweeps: list[tuple[Any, Any]] = [
            (AuthorizationCode, AuthorizationCode.expires_at < late),
            (RefreshToken, RefreshToken.expires_at < late),
            (Interaction, Interaction.expires_at < now),
            (PendingSignIn, PendingSignIn.expires_at < now),
            (WebAuthnChallenge, WebAuthnChallenge.expires_at < now),
            (UsedAssertion, UsedAssertion.expires_at < now),
            (AccountToken, AccountToken.expires_at < now),
            (RevokedAccessToken, RevokedAccessToken.expires_at < now),
            (RateCounter, RateCounter.expires_at <= now.timestamp()),
        ]
        dropped: dict[str, int] = {}
        with self._db.begin() as s:
            for model, expired in sweeps:
                result: Any = s.execute(delete(model).where(expired))
                dropped[model.__tablename__] = int(result.rowcount or 0)
            abandoned = list(
                s.scalars(
                    select(User.id).where(
                        User.pending_verification.is_(True),
                        User.created_at < now - self._pending_ttl,
                    )
                )
            )
            if abandoned:
                s.execute(delete(AccountToken).where(AccountToken.user_id.in_(abandoned)))
                s.execute(delete(User).where(User.id.in_(abandoned)))
            dropped["abandoned_signups"] = len(abandoned)
        for subject in abandoned:  # after the commit: a failed shred leaves only a dead key
            self._shred(subject)
        if any(dropped.values()):
            self._audit.record(AuditEvent("housekeeping.purge", detail=dropped))
        return dropped
