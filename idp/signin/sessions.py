"""Server-side SSO sessions. The browser holds only a random secret in an HttpOnly cookie; the
database holds its SHA-256. `sid` is the public id RPs see in id_tokens and logout tokens.

Lifetimes follow NIST SP 800-63B AAL2: an absolute limit and an idle limit, both configurable.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from audit import AuditEvent, AuditSink
from idp.clock import Clock, aware
from idp.secrets import new_secret, secret_hash
from idp.signin.models import SessionClient, SsoSession
from storage import DriverStatements, UnitOfWork

# Refresh last_seen_at at most this often, so a busy session is not a write per request.
_TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class ActiveSession:
    sid: str
    user_id: str
    auth_time: datetime
    acr: str | None
    amr: list[str]
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str | None


_SESSIONS = cast(Table, SsoSession.__table__)
# Built once: every password login runs them. Plain Core, so they run the same in a unit of
# work with an ORM session or on its bare connection.
_INSERT = insert(_SESSIONS)
# The columns a new session is written with (establish), in one order for the compiled INSERT.
_INSERT_KEYS = (
    "secret_hash",
    "auth_time",
    "acr",
    "amr",
    "last_seen_at",
    "user_agent",
    "id",
    "user_id",
    "created_at",
    "expires_at",
)
_BY_SECRET = select(_SESSIONS).where(_SESSIONS.c.secret_hash == bindparam("digest"))
_UPDATE = update(_SESSIONS).where(_SESSIONS.c.id == bindparam("sid"))


def _active(row: Any) -> ActiveSession:
    """From anything with the table's columns as attributes: an ORM row or a Core row."""
    return ActiveSession(
        sid=row.id,
        user_id=row.user_id,
        auth_time=aware(row.auth_time),
        acr=row.acr,
        amr=list(row.amr or []),
        created_at=aware(row.created_at),
        last_seen_at=aware(row.last_seen_at),
        expires_at=aware(row.expires_at),
        user_agent=row.user_agent,
    )


class SsoSessions:
    def __init__(
        self,
        db: sessionmaker[Session],
        audit: AuditSink,
        clock: Clock,
        absolute_ttl: timedelta,
        idle_ttl: timedelta,
    ) -> None:
        self._db, self._audit, self._clock = db, audit, clock
        self._absolute, self._idle = absolute_ttl, idle_ttl
        self._insert = DriverStatements(_INSERT, _INSERT_KEYS)

    def _valid(self, row: Any, now: datetime) -> bool:
        return (
            row is not None
            and row.revoked_at is None
            and aware(row.expires_at) > now
            and aware(row.last_seen_at) + self._idle > now
        )

    def establish(
        self,
        user_id: str,
        *,
        acr: str | None,
        amr: list[str],
        current_cookie: str | None = None,
        user_agent: str | None = None,
        work: UnitOfWork | None = None,
    ) -> tuple[ActiveSession, str]:
        """After a successful login: a fresh cookie secret (no fixation). Re-authenticating the
        same user keeps `sid`, so apps already in the session stay reachable by logout. Inside
        `work` when given (its owner commits), otherwise committed on return."""
        if work is None:
            with self._db.begin() as s:
                return self._establish(
                    UnitOfWork.of(s), user_id, acr, amr, current_cookie, user_agent
                )
        return self._establish(work, user_id, acr, amr, current_cookie, user_agent)

    def _establish(
        self,
        work: UnitOfWork,
        user_id: str,
        acr: str | None,
        amr: list[str],
        current_cookie: str | None,
        user_agent: str | None,
    ) -> tuple[ActiveSession, str]:
        now = self._clock()
        cookie = new_secret()
        amr = list(dict.fromkeys(amr))  # RFC 8176 order: first factor first
        values = dict(
            secret_hash=secret_hash(cookie),
            auth_time=now,
            acr=acr,
            amr=amr,
            last_seen_at=now,
            user_agent=(user_agent or "")[:200] or None,
        )
        row: Any = None
        if current_cookie:
            row = work.execute(_BY_SECRET, {"digest": secret_hash(current_cookie)}).first()
            if not self._valid(row, now) or (row and row.user_id != user_id):
                row = None
        if row is None:
            # The common case, a new session: one plain INSERT.
            fresh = dict(
                values,
                id=str(uuid.uuid4()),
                user_id=user_id,
                created_at=now,
                expires_at=now + self._absolute,
            )
            self._insert.execute(work, fresh)  # on the driver with no ORM session (sign-ins)
            row = SimpleNamespace(**fresh)
        else:
            work.execute(_UPDATE, {"sid": row.id, **values})
            row = SimpleNamespace(**{**row._mapping, **values})
        active = _active(row)
        self._audit.record(
            AuditEvent(
                "session.establish",
                actor=user_id,
                subject=user_id,
                detail={"sid": active.sid, "amr": active.amr},
            ),
            work=work,
        )
        return active, cookie

    def lookup(self, cookie: str | None) -> ActiveSession | None:
        if not cookie or len(cookie) > 128:
            return None
        now = self._clock()
        with self._db() as s:
            row = s.execute(_BY_SECRET, {"digest": secret_hash(cookie)}).first()
            if row is None or not self._valid(row, now):
                return None
            active = _active(row)
        if now - active.last_seen_at > _TOUCH_EVERY:
            with self._db.begin() as s:
                s.execute(
                    update(SsoSession).where(SsoSession.id == active.sid).values(last_seen_at=now)
                )
        return active

    def get(self, sid: str) -> ActiveSession | None:
        with self._db() as s:
            row = s.get(SsoSession, sid)
            return _active(row) if self._valid(row, self._clock()) and row else None

    def add_client(self, sid: str, client_id: str) -> None:
        try:
            with self._db.begin() as s:
                exists = s.scalar(
                    select(SessionClient.id).where(
                        SessionClient.sid == sid, SessionClient.client_id == client_id
                    )
                )
                if exists is None:
                    s.add(SessionClient(sid=sid, client_id=client_id, first_at=self._clock()))
        except IntegrityError:
            pass  # a concurrent request recorded the same pair

    def clients(self, sid: str) -> list[str]:
        with self._db() as s:
            return list(s.scalars(select(SessionClient.client_id).where(SessionClient.sid == sid)))

    def revoke(self, sid: str, *, actor: str, reason: str = "logout") -> ActiveSession | None:
        """End a session; returns it (for back-channel logout) or None if it was not active."""
        now = self._clock()
        with self._db.begin() as s:
            row = s.get(SsoSession, sid)
            if row is None or row.revoked_at is not None:
                return None
            row.revoked_at = now
            self._audit.record(
                AuditEvent(
                    "session.revoke",
                    actor=actor,
                    subject=row.user_id,
                    detail={"sid": sid, "reason": reason},
                ),
                work=UnitOfWork.of(s),
            )
            return _active(row)

    def for_user(self, user_id: str) -> list[ActiveSession]:
        now = self._clock()
        with self._db() as s:
            rows = s.scalars(
                select(SsoSession)
                .where(SsoSession.user_id == user_id, SsoSession.revoked_at.is_(None))
                .order_by(SsoSession.created_at)
            )
            return [_active(r) for r in rows if self._valid(r, now)]
