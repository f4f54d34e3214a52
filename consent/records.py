"""Consent records: one row per (subject, client, scope) decision, never updated in place
except to record a withdrawal, so every consent given can be proven later (UU PDP Art. 22-24).

This is the registry's first room: the login flow asks it which requested scopes still need
the citizen's explicit approval, and records that approval with its evidence.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from audit import AuditEvent, AuditSink
from storage import UnitOfWork

# Scopes that are protocol mechanics rather than personal data: no consent asked.
NO_CONSENT_SCOPES = frozenset({"openid"})


class Base(DeclarativeBase):
    """Metadata of the tables the consent package owns."""


class ConsentRecord(Base):
    __tablename__ = "consent_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject: Mapped[str] = mapped_column(String(36), index=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    scope: Mapped[str] = mapped_column(String(64))
    given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ConsentRegistry:
    def __init__(
        self,
        db: sessionmaker[Session],
        audit: AuditSink,
        clock: Callable[[], datetime] = _utcnow,
        trusted_clients: Callable[[str], bool] = lambda _cid: False,
    ) -> None:
        self._db, self._audit, self._clock = db, audit, clock
        self._trusted = trusted_clients

    def _active(self, s: Session, subject: str, client_id: str) -> set[str]:
        stmt = select(ConsentRecord.scope).where(
            ConsentRecord.subject == subject,
            ConsentRecord.client_id == client_id,
            ConsentRecord.withdrawn_at.is_(None),
        )
        return set(s.scalars(stmt))

    def missing(self, user_id: str, client_id: str, scopes: list[str]) -> list[str]:
        wanted = [sc for sc in scopes if sc not in NO_CONSENT_SCOPES]
        if not wanted or self._trusted(client_id):
            return []
        with self._db() as s:
            have = self._active(s, user_id, client_id)
        return [sc for sc in wanted if sc not in have]

    def grant(self, user_id: str, client_id: str, scopes: list[str], *, evidence: dict) -> None:
        now = self._clock()
        with self._db.begin() as s:
            have = self._active(s, user_id, client_id)
            added = [sc for sc in scopes if sc not in NO_CONSENT_SCOPES and sc not in have]
            for sc in added:
                s.add(
                    ConsentRecord(
                        id=str(uuid.uuid4()),
                        subject=user_id,
                        client_id=client_id,
                        scope=sc,
                        given_at=now,
                        evidence=evidence,
                    )
                )
            if added:
                self._audit.record(
                    AuditEvent(
                        "consent.give",
                        actor=user_id,
                        subject=user_id,
                        client_id=client_id,
                        detail={"scopes": added},
                    ),
                    work=UnitOfWork.of(s),
                )

    def withdraw(self, user_id: str, client_id: str, scopes: list[str] | None = None) -> int:
        now = self._clock()
        with self._db.begin() as s:
            stmt = select(ConsentRecord).where(
                ConsentRecord.subject == user_id,
                ConsentRecord.client_id == client_id,
                ConsentRecord.withdrawn_at.is_(None),
            )
            rows = [r for r in s.scalars(stmt) if scopes is None or r.scope in scopes]
            for r in rows:
                r.withdrawn_at = now
            if rows:
                self._audit.record(
                    AuditEvent(
                        "consent.withdraw",
                        actor=user_id,
                        subject=user_id,
                        client_id=client_id,
                        detail={"scopes": [r.scope for r in rows]},
                    ),
                    work=UnitOfWork.of(s),
                )
            return len(rows)

    def consented_clients(self, user_id: str) -> dict[str, tuple[list[str], datetime]]:
        found: dict[str, tuple[list[str], datetime]] = {}
        for r in self.for_subject(user_id):
            if r.withdrawn_at is None:
                scopes, since = found.get(r.client_id, ([], r.given_at))
                found[r.client_id] = ([*scopes, r.scope], min(since, r.given_at))
        return found

    def for_subject(self, user_id: str) -> list[ConsentRecord]:
        with self._db() as s:
            stmt = (
                select(ConsentRecord)
                .where(ConsentRecord.subject == user_id)
                .order_by(ConsentRecord.given_at)
            )
            return list(s.scalars(stmt))
