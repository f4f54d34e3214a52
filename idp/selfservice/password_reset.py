"""Forgotten passwords: a single-use emailed link (hashed at rest, 30 minutes by default), a
new password under the policy, and then every SSO session and refresh token of the account
ends, because whoever knew the old password may hold them.

The request answers the same way whether or not the account exists.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from audit import AuditEvent, AuditSink, Outcome
from idp.accounts.models import User
from idp.accounts.users import UserDirectory
from idp.clock import Clock
from idp.selfservice.account import AccountService
from idp.selfservice.links import PASSWORD_RESET, AccountTokens
from idp.selfservice.notices import Notifier
from idp.signin.password import PasswordLogin
from storage import UnitOfWork


class PasswordReset:
    def __init__(
        self,
        db: sessionmaker[Session],
        users: UserDirectory,
        tokens: AccountTokens,
        sessions: AccountService,
        login: PasswordLogin,
        notifier: Notifier,
        audit: AuditSink,
        clock: Clock,
        *,
        ttl: int,
    ) -> None:
        self._db, self._users, self._tokens, self._sessions = db, users, tokens, sessions
        self._login, self._notifier, self._audit, self._clock = login, notifier, audit, clock
        self._ttl = ttl

    def request(self, login: str) -> None:
        user = self._users.find_by_login(login) if login.strip() else None
        email = self._users.profile(user).email if user and not user.disabled else None
        if user is None or email is None:
            self._audit.record(
                AuditEvent(
                    "password_reset.request",
                    Outcome.FAILURE,
                    actor="anonymous",
                    subject=user.id if user else None,
                    detail={"reason": "no_account_or_email"},
                )
            )
            return
        token = self._tokens.issue(user.id, PASSWORD_RESET, self._ttl)
        self._audit.record(AuditEvent("password_reset.request", actor="anonymous", subject=user.id))
        self._notifier.send(
            "password_reset",
            email,
            f"/password/reset?token={token}",
            when=self._clock() + timedelta(seconds=self._ttl),
        )

    def user_for(self, token: str | None) -> str | None:
        """Whether the link is live (for showing the form); does not use it up."""
        return self._tokens.peek(token, PASSWORD_RESET)

    def reset(self, token: str | None, password: str) -> str | None:
        """Set the new password (WeakPassword if the policy refuses it; the link stays usable
        then). Returns the `sub`, or None when the link is unknown, used or expired."""
        user_id = self._tokens.peek(token, PASSWORD_RESET)
        if user_id is None:
            return None
        self._users.check_policy(password, self._users.get(user_id))
        with self._db.begin() as s:
            if self._tokens.redeem(s, token, PASSWORD_RESET) != user_id:
                return None
            self._users.set_password(s, user_id, password, actor=user_id)
            row = s.get(User, user_id)
            if row is not None:
                # The link proved the mailbox: a pending registration is verified too.
                row.pending_verification = False
                row.email_verified = True
            self._audit.record(
                AuditEvent("password_reset.complete", actor=user_id, subject=user_id),
                work=UnitOfWork.of(s),
            )
        self._sessions.end_all(user_id, actor=user_id, reason="password_reset")
        self._login.forget_failures(user_id)
        self._notifier.send(
            "password_changed",
            self._users.profile(self._users.get(user_id)).email,
            "/password/forgot",
        )
        return user_id
