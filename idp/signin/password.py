"""Signing in with a password, behind the brute-force limiter.

Order matters: the delay is checked before the password, so a refused attempt costs a guesser
a request and tells nothing; a pending (unverified) account is reported only after the right
password, so the page never reveals which NIKs or emails are registered.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit import AuditEvent, AuditSink, Outcome
from idp.accounts.models import User
from idp.accounts.users import Credentials, UserDirectory, login_kind
from idp.signin.ratelimit import RateLimiter, Throttled
from vault.blind_index import normalise


@dataclass(frozen=True)
class LoginResult:
    user: Credentials | None = None
    throttled: Throttled | None = None
    pending: bool = False  # right password, but the email address is not verified yet


class PasswordLogin:
    def __init__(self, users: UserDirectory, limiter: RateLimiter, audit: AuditSink) -> None:
        self._users, self.limiter, self._audit = users, limiter, audit

    def account_key(self, login: str, user: Credentials | User | None) -> str:
        """The account's counter: by user id when the login names one (so NIK, email and
        username share it), else by the attempted login itself."""
        if user is not None:
            return self.limiter.key("acct", user.id)
        login = login.strip()
        kind = login_kind(login)
        return self.limiter.key("login", f"{kind}:{normalise(kind, login)}")

    def attempt(self, login: str, password: str, ip: str | None) -> LoginResult:
        user = self._users.credentials(login)
        key = self.account_key(login, user)
        attempt = self.limiter.begin(account=key, ip=ip)
        if isinstance(attempt, Throttled):
            self._audit.record(
                AuditEvent(
                    "login.throttled",
                    Outcome.DENIED,
                    subject=user.id if user else None,
                    detail={"key": key, "retry_after": attempt.retry_after},
                )
            )
            return LoginResult(throttled=attempt)
        if not self._users.verify_password(user, password) or user is None:
            attempt.failed(subject=user.id if user else None)
            return LoginResult()
        attempt.succeeded()
        if user.pending_verification:
            self._audit.record(
                AuditEvent(
                    "login.password",
                    Outcome.DENIED,
                    subject=user.id,
                    detail={"reason": "email_not_verified"},
                )
            )
            return LoginResult(pending=True)
        return LoginResult(user=user)

    def forget_failures(self, user_id: str) -> None:
        """After a password reset the owner starts with a clean slate."""
        self.limiter.forget(self.limiter.key("acct", user_id))
