"""What a signed-in citizen can do about their own account: see and end SSO sessions, see and
revoke the apps that hold refresh tokens, change the password. Every change is audited and the
owner is told by email.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from audit import AuditEvent, AuditSink
from idp.accounts.users import UserDirectory
from idp.clock import Clock, aware
from idp.errors import InvalidInput
from idp.oauth.clients import ClientRegistry
from idp.oauth.models import Grant, RefreshToken
from idp.oauth.tokens import TokenService
from idp.oidc.consent_gate import ConsentGate
from idp.oidc.logout import LogoutService
from idp.selfservice.notices import Notifier
from idp.signin.password import PasswordLogin
from idp.signin.ratelimit import Throttled
from idp.signin.sessions import ActiveSession, SsoSessions
from storage import UnitOfWork


class WrongPassword(InvalidInput):
    code = "wrong_password"


class TooManyAttempts(InvalidInput):
    code = "too_many_attempts"

    def __init__(self, throttled: Throttled) -> None:
        super().__init__(f"retry after {throttled.retry_after} s")
        self.retry_after = throttled.retry_after


@dataclass(frozen=True)
class AppAccess:
    client_id: str
    name: str
    scope: str
    since: datetime


class AccountService:
    def __init__(
        self,
        db: sessionmaker[Session],
        users: UserDirectory,
        sessions: SsoSessions,
        logout: LogoutService,
        tokens: TokenService,
        clients: ClientRegistry,
        login: PasswordLogin,
        notifier: Notifier,
        audit: AuditSink,
        clock: Clock,
        consent: ConsentGate,
    ) -> None:
        self._db, self._users, self._sessions, self._logout = db, users, sessions, logout
        self._tokens, self._clients, self._login = tokens, clients, login
        self._notifier, self._audit, self._clock = notifier, audit, clock
        self._consent = consent

    def _notify(self, user_id: str, kind: str, path: str = "/password/forgot") -> None:
        self._notifier.send(kind, self._users.profile(self._users.get(user_id)).email, path)

    def factors_changed(self, user_id: str) -> None:
        """Tell the owner their second factors changed (added, removed, codes regenerated)."""
        self._notify(user_id, "factors_changed", "/account/security")

    # -- sessions ------------------------------------------------------------------------------
    def sessions(self, user_id: str) -> list[ActiveSession]:
        return self._sessions.for_user(user_id)

    def revoke_session(self, user_id: str, sid: str) -> bool:
        """End one of the user's own sessions (back-channel logout to its apps)."""
        owned = self._sessions.get(sid)
        if owned is None or owned.user_id != user_id:
            return False
        if self._logout.end(sid, actor=user_id, reason="user") is None:
            return False
        self._notify(user_id, "session_revoked")
        return True

    def end_all(self, user_id: str, *, actor: str, reason: str, keep_sid: str | None = None) -> int:
        """End every session but `keep_sid`, and revoke every grant with its refresh tokens."""
        ended = 0
        for active in self._sessions.for_user(user_id):
            if active.sid != keep_sid and self._logout.end(active.sid, actor=actor, reason=reason):
                ended += 1
        with self._db.begin() as s:
            for grant in s.scalars(
                select(Grant).where(Grant.user_id == user_id, Grant.revoked_at.is_(None))
            ):
                self._tokens.revoke_grant(s, grant.id, reason)
            self._audit.record(
                AuditEvent(
                    "account.revoke_all",
                    actor=actor,
                    subject=user_id,
                    detail={"reason": reason, "sessions": ended},
                ),
                work=UnitOfWork.of(s),
            )
        return ended

    # -- apps ----------------------------------------------------------------------------------
    def apps(self, user_id: str) -> list[AppAccess]:
        """Clients holding a live refresh token of the user, or a consent of theirs, one entry
        per client: whatever lets an app in without asking again is listed and revocable."""
        now = self._clock()
        found: dict[str, AppAccess] = {}
        with self._db() as s:
            rows = s.execute(
                select(Grant, RefreshToken)
                .join(RefreshToken, RefreshToken.grant_id == Grant.id)
                .where(
                    Grant.user_id == user_id,
                    Grant.revoked_at.is_(None),
                    RefreshToken.revoked_at.is_(None),
                    RefreshToken.rotated_at.is_(None),
                )
                .order_by(Grant.created_at)
            )
            for grant, token in rows:
                if aware(token.expires_at) <= now or grant.client_id in found:
                    continue
                client = self._clients.get(grant.client_id)
                found[grant.client_id] = AppAccess(
                    grant.client_id,
                    client.name if client else grant.client_id,
                    grant.scope,
                    aware(grant.created_at),
                )
        for client_id, (scopes, since) in self._consent.consented_clients(user_id).items():
            if client_id not in found:
                client = self._clients.get(client_id)
                name = client.name if client else client_id
                found[client_id] = AppAccess(client_id, name, " ".join(scopes), aware(since))
        return list(found.values())

    def revoke_app(self, user_id: str, client_id: str) -> bool:
        """Revoke every grant the user gave `client_id` — its refresh tokens stop working and
        its access tokens fail introspection — and withdraw the consents behind them, so the
        app cannot come back silently (prompt=none) with a new code."""
        with self._db.begin() as s:
            grants = list(
                s.scalars(
                    select(Grant.id).where(
                        Grant.user_id == user_id,
                        Grant.client_id == client_id,
                        Grant.revoked_at.is_(None),
                    )
                )
            )
            for gid in grants:
                self._tokens.revoke_grant(s, gid, "user_revoked")
            if grants:
                self._audit.record(
                    AuditEvent(
                        "account.revoke_app",
                        actor=user_id,
                        subject=user_id,
                        client_id=client_id,
                        detail={"grants": len(grants)},
                    ),
                    work=UnitOfWork.of(s),
                )
        withdrawn = self._consent.withdraw(user_id, client_id)
        if grants or withdrawn:
            self._notify(user_id, "app_revoked")
        return bool(grants or withdrawn)

    # -- password ------------------------------------------------------------------------------
    def change_password(
        self, user_id: str, current: str, new: str, *, keep_sid: str | None, ip: str | None
    ) -> None:
        """WrongPassword, TooManyAttempts or WeakPassword; on success other sessions end."""
        user = self._users.get(user_id)
        limiter = self._login.limiter
        key = self._login.account_key("", user)
        attempt = limiter.begin(account=key, ip=ip)
        if isinstance(attempt, Throttled):
            raise TooManyAttempts(attempt)
        if not self._users.verify_password(user, current):
            attempt.failed(subject=user_id)
            raise WrongPassword("the current password is wrong")
        attempt.succeeded()
        self._users.check_policy(new, user)
        with self._db.begin() as s:
            self._users.set_password(s, user_id, new, actor=user_id)
        self.end_all(user_id, actor=user_id, reason="password_change", keep_sid=keep_sid)
        self._notify(user_id, "password_changed")
