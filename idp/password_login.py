"""Signing in with a password, behind the brute-force limiter.

Order matters: the delay is checked before the password, so a refused attempt costs a guesser
a request and tells nothing; a pending (unverified) account is reported only after the right
password, so the page never reveals which NIKs or emails are registered.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit import AuditEvent, AuditSink, Outcome
from idp.models import User
from idp.ratelimit import RateLimiter, Throttled
from idp.users import Credentials, UserDirectory, login_kind
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
        assessed = self.limiter.assess(account=key, ip=ip)
        throttled = assessed.throttled
        if throttled is not None:
            self._audit.record(
                AuditEvent(
                    "login.throttled",
                    Outcome.DENIED,
                    subject=user.id if user else None,
                    detail={"key": key, "retry_after": throttled.retry_after},
                )
            )
            return LoginResult(throttled=throttled)
        if not self._users.verify_password(user, password) or user is None:
            self.limiter.failure(account=key, ip=ip, subject=user.id if user else None)
            return LoginResult()
        self.limiter.success(key, had_failures=assessed.account_has_failures)
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
        self.limiter.success(self.limiter.key("acct", user_id))
