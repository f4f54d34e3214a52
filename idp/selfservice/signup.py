"""Citizens registering themselves: NIK, email, name and password, then a verification link.

The answer is the same whether or not the NIK or email is already registered ("check your
email"); in that case the existing owner gets a notice instead of a link, so the form cannot be
used to find out who has an account.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from audit import AuditEvent, AuditSink
from idp.accounts.models import User
from idp.accounts.nik import parse_nik
from idp.accounts.users import _EMAIL, UserDirectory
from idp.clock import Clock
from idp.errors import Conflict, InvalidInput
from idp.selfservice.links import VERIFY_EMAIL, AccountTokens
from idp.selfservice.notices import Notifier
from storage import UnitOfWork


class SelfRegistration:
    def __init__(
        self,
        db: sessionmaker[Session],
        users: UserDirectory,
        tokens: AccountTokens,
        notifier: Notifier,
        audit: AuditSink,
        clock: Clock,
        *,
        verify_ttl: int,
    ) -> None:
        self._db, self._users, self._tokens = db, users, tokens
        self._notifier, self._audit, self._clock = notifier, audit, clock
        self._ttl = verify_ttl

    def validate(self, *, nik: str, email: str, name: str, password: str) -> None:
        """InvalidNik, InvalidInput or WeakPassword for a form that cannot be accepted."""
        parse_nik(nik, today=self._clock().date())
        if not _EMAIL.match(email.strip()) or len(email) > 320:
            raise InvalidInput("The email address is not valid.")
        if not 1 <= len(name.strip()) <= 200:
            raise InvalidInput("Enter your full name (up to 200 characters).")
        self._users.policy.check(password, identity=(email, nik))

    def register(self, *, nik: str, email: str, name: str, password: str) -> str | None:
        """Validate, then create a pending account and email its link; returns the new `sub`,
        or None when the NIK or email was taken (the owner was told)."""
        self.validate(nik=nik, email=email, name=name, password=password)
        existing = self._users.find_by_login(nik) or self._users.find_by_login(email)
        if existing is None:
            try:
                profile = self._users.create(
                    username=f"warga-{secrets.token_hex(5)}",
                    password=password,
                    email=email,
                    name=name,
                    nik=nik,
                    pending_verification=True,
                    actor="self",
                )
            except Conflict:
                existing = self._users.find_by_login(nik) or self._users.find_by_login(email)
            else:
                self._send_verification(profile.sub, profile.email)
                return profile.sub
        # Same work as a new account (one argon2 hash), then tell the owner, not the visitor.
        self._users.hash_password(password)
        if existing is not None:
            self._audit.record(
                AuditEvent("registration.duplicate", actor="anonymous", subject=existing.id)
            )
            owner = self._users.profile(existing)
            if existing.pending_verification:
                # Registering again is how a citizen asks for a new link: it goes to the
                # address on file, so the visitor learns nothing they did not already own.
                self._send_verification(existing.id, owner.email)
            else:
                self._notifier.send("already_registered", owner.email, "/password/forgot")
        return None

    def _send_verification(self, user_id: str, email: str | None) -> None:
        token = self._tokens.issue(user_id, VERIFY_EMAIL, self._ttl)
        self._notifier.send(
            "verify_email",
            email,
            f"/verify-email?token={token}",
            when=self._clock() + timedelta(seconds=self._ttl),
        )

    def verify_email(self, token: str | None) -> str | None:
        """Activate the account the link belongs to; its `sub`, or None for a bad link."""
        with self._db.begin() as s:
            user_id = self._tokens.redeem(s, token, VERIFY_EMAIL)
            row = s.get(User, user_id) if user_id else None
            if row is None:
                return None
            row.pending_verification = False
            row.email_verified = True
            row.updated_at = self._clock()
            self._audit.record(
                AuditEvent("user.verify_email", actor=row.id, subject=row.id), work=UnitOfWork.of(s)
            )
            return row.id
