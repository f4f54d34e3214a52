"""Organisations: the regional agencies (OPD) that own clients."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from audit import AuditEvent, AuditSink
from idp.accounts.models import Organisation
from idp.clock import Clock
from idp.errors import Conflict, InvalidInput, NotFound
from storage import UnitOfWork


class Organisations:
    def __init__(self, db: sessionmaker[Session], audit: AuditSink, clock: Clock) -> None:
        self._db, self._audit, self._clock = db, audit, clock

    def create(self, name: str, *, actor: str = "operator") -> Organisation:
        name = name.strip()
        if not 1 <= len(name) <= 200:
            raise InvalidInput("organisation name must be 1-200 characters")
        org = Organisation(id=str(uuid.uuid4()), name=name, created_at=self._clock())
        try:
            with self._db.begin() as s:
                s.add(org)
                self._audit.record(
                    AuditEvent("org.create", actor=actor, org_id=org.id), work=UnitOfWork.of(s)
                )
        except IntegrityError as exc:
            raise Conflict(f"organisation {name!r} exists") from exc
        return org

    def list(self) -> list[Organisation]:
        with self._db() as s:
            return list(s.scalars(select(Organisation).order_by(Organisation.name)))

    def resolve(self, ref: str) -> Organisation:
        """An organisation by id or by exact name."""
        with self._db() as s:
            org = s.get(Organisation, ref) or s.scalar(
                select(Organisation).where(Organisation.name == ref)
            )
            if org is None:
                raise NotFound(f"no organisation {ref!r}")
            return org

    def update(
        self, ref: str, *, require_mfa: bool | None = None, actor: str = "operator"
    ) -> Organisation:
        """Change an organisation's sign-in rules: `require_mfa` for every app it owns."""
        org = self.resolve(ref)
        with self._db.begin() as s:
            row = s.get(Organisation, org.id)
            if row is None:
                raise NotFound(f"no organisation {ref!r}")
            if require_mfa is not None:
                row.require_mfa = require_mfa
            self._audit.record(
                AuditEvent(
                    "org.update",
                    actor=actor,
                    org_id=row.id,
                    detail={"require_mfa": row.require_mfa},
                ),
                work=UnitOfWork.of(s),
            )
            return row
