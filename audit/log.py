"""AuditLog: appends events to the `audit_events` table; rows are never updated or deleted."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, Table, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from audit.events import AuditEvent, Outcome
from audit.group_commit import GroupCommit
from storage.unit_of_work import UnitOfWork


class Base(DeclarativeBase):
    """Metadata of the tables the audit package owns."""


class AuditRecord(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    type: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(128))
    subject: Mapped[str | None] = mapped_column(String(128), index=True)
    client_id: Mapped[str | None] = mapped_column(String(128))
    org_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# The Core table, for plain INSERTs (no ORM unit of work on the hot paths).
AUDIT_TABLE = cast(Table, AuditRecord.__table__)
_INSERT = insert(AUDIT_TABLE)  # built once: sign-ins and grants record inside their transaction


class AuditSink(Protocol):
    """What domain packages depend on: something that records an event."""

    def record(self, event: AuditEvent, *, work: UnitOfWork | None = None) -> None: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AuditLog:
    def __init__(self, engine: Engine, clock: Callable[[], datetime] = _utcnow) -> None:
        self._engine = engine
        self._clock = clock
        self._writer = GroupCommit(engine, AUDIT_TABLE)

    def _row(self, event: AuditEvent) -> dict[str, Any]:
        return {
            "at": self._clock(),
            "type": event.type,
            "outcome": str(event.outcome),
            "actor": event.actor,
            "subject": event.subject,
            "client_id": event.client_id,
            "org_id": event.org_id,
            "purpose": event.purpose,
            "detail": dict(event.detail),
        }

    def record(self, event: AuditEvent, *, work: UnitOfWork | None = None) -> None:
        """Append `event`: inside `work` when it must commit with the change it records,
        otherwise committed (with whatever else is being recorded at the moment) on return."""
        if work is not None:
            # A plain INSERT in the caller's transaction: commits or rolls back with it. With
            # no ORM session in the work, on a connection of our engine, it goes straight to
            # the driver (sign-ins do this).
            row = self._row(event)
            if work.opened_session is None and work.dialect is self._engine.dialect:
                self._writer.statement(tuple(row)).execute(work.connection, row)
            else:
                work.execute(_INSERT, row)
            return
        self._writer.append(self._row(event))

    def submit_async(self, event: AuditEvent) -> asyncio.Future[None]:
        """`record` for a coroutine: the future completes once the row is committed, so the
        caller can hold its response until then without blocking the event loop."""
        return self._writer.submit_async(self._row(event))

    def expecting(self) -> contextlib.AbstractContextManager[None]:
        """Around a coroutine that will `submit_async` a row: lets the writer batch it with
        the rows of other requests in flight (GroupCommit.expecting)."""
        return self._writer.expecting()

    @property
    def commits(self) -> int:
        """Commits the audit writer has made: fewer than the rows it wrote when callers
        arrived together."""
        return self._writer.commits

    def close(self) -> None:
        self._writer.close()

    def recent(
        self,
        *,
        type_prefix: str | None = None,
        subject: str | None = None,
        limit: int = 100,
        bind: Connection | Engine | None = None,
    ) -> list[AuditRecord]:
        stmt = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
        if type_prefix:
            stmt = stmt.where(AuditRecord.type.startswith(type_prefix))
        if subject:
            stmt = stmt.where(AuditRecord.subject == subject)
        with Session(bind or self._engine) as s:
            return list(s.scalars(stmt))


__all__ = ["AuditLog", "AuditRecord", "AuditSink", "Outcome"]
