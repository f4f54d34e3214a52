"""A sign-in with a password from start to end: the password behind the limiter, then, in one
unit of work, the second-factor question and either the new SSO session or the sign-in that
waits for its second factor (NIST SP 800-63B §4.2: a password alone opens nothing of an account
that has one)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from idp.signin.mfa.factors import SecondFactors
from idp.signin.mfa.policy import ACR_PWD
from idp.signin.password import LoginResult, PasswordLogin
from idp.signin.pending import PendingSignIns
from idp.signin.sessions import SsoSessions
from storage import begin


@dataclass(frozen=True)
class SignedIn:
    result: LoginResult
    cookie: str | None = None  # a new SSO session's
    second_factor_due: str | None = None  # a pending sign-in's, when the user has a factor


class PasswordSignIn:
    def __init__(
        self,
        engine: Engine,
        db: sessionmaker[Session],
        password: PasswordLogin,
        factors: SecondFactors,
        pending: PendingSignIns,
        sessions: SsoSessions,
    ) -> None:
        self._engine, self._db = engine, db
        self._password, self._factors = password, factors
        self._pending, self._sessions = pending, sessions

    def sign_in(
        self,
        login: str,
        password: str,
        ip: str | None,
        *,
        current_cookie: str | None = None,
        user_agent: str | None = None,
    ) -> SignedIn:
        """The password check, then the second-factor question and the new session (or the
        sign-in waiting for its second factor) with its audit row in one transaction on a plain
        connection: an ORM session cost more than the three statements (`make bench` holds
        this path, beside argon2 itself, to 10 %)."""
        result = self._password.attempt(login, password, ip)
        user = result.user
        if user is None:
            return SignedIn(result)
        with begin(self._engine, self._db) as work:
            if self._factors.enrolled(user.id, work=work):
                # The user's own choice: their second factor, every time. Until it is verified
                # there is no session, only the second-factor step.
                return SignedIn(
                    result, second_factor_due=self._pending.begin(user.id, ["pwd"], work=work)
                )
            _session, cookie = self._sessions.establish(
                user.id,
                acr=ACR_PWD,
                amr=["pwd"],
                current_cookie=current_cookie,
                user_agent=user_agent,
                work=work,
            )
            return SignedIn(result, cookie)
