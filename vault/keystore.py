"""Where wrapped per-subject data keys live: the `vault_subject_keys` table.

Destroying a row (crypto-shredding) makes every field sealed under that subject's key
unrecoverable; see docs/encryption.md for what an older database backup still holds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import DateTime, LargeBinary, String, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    """Metadata of the tables the vault package owns."""


class SubjectKey(Base):
    __tablename__ = "vault_subject_keys"

    subject: Mapped[str] = mapped_column(String(128), primary_key=True)
    wrapped_dek: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    destroyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class SubjectKeyStore:
    """Reads and writes wrapped data keys in short transactions of their own."""

    def __init__(self, engine: Engine, clock: Clock = utcnow) -> None:
        self._engine = engine
        self._clock = clock

    def get(self, subject: str) -> SubjectKey | None:
        with Session(self._engine, expire_on_commit=False) as s:
            return s.get(SubjectKey, subject)

    def insert(self, subject: str, wrapped: bytes) -> SubjectKey:
        """Store a new wrapped key; if another worker won the race, return theirs."""
        row = SubjectKey(subject=subject, wrapped_dek=wrapped, created_at=self._clock())
        try:
            with Session(self._engine, expire_on_commit=False) as s, s.begin():
                s.add(row)
        except IntegrityError:
            existing = self.get(subject)
            if existing is None:  # pragma: no cover - deleted between the two statements
                raise
            return existing
        return row

    def destroy(self, subject: str) -> bool:
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            row = s.get(SubjectKey, subject)
            if row is None:
                s.add(
                    SubjectKey(
                        subject=subject,
                        wrapped_dek=None,
                        created_at=self._clock(),
                        destroyed_at=self._clock(),
                    )
                )
                return False
            row.wrapped_dek = None
            row.destroyed_at = self._clock()
            return True

    def subjects_page(self, after: str, limit: int) -> list[SubjectKey]:
        with Session(self._engine, expire_on_commit=False) as s:
            stmt = (
                select(SubjectKey)
                .where(SubjectKey.subject > after, SubjectKey.wrapped_dek.is_not(None))
                .order_by(SubjectKey.subject)
                .limit(limit)
            )
            return list(s.scalars(stmt))

    def replace_many(self, changes: list[tuple[str, bytes, bytes]]) -> int:
        """Compare-and-set a batch of (subject, old, new) in one transaction; returns how many."""
        done = 0
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            for subject, old, new in changes:
                row = s.get(SubjectKey, subject)
                if row is not None and row.wrapped_dek == old:
                    row.wrapped_dek = new
                    done += 1
        return done

    def count(self) -> int:
        with Session(self._engine) as s:
            stmt = select(func.count()).select_from(SubjectKey)
            return int(s.scalar(stmt.where(SubjectKey.wrapped_dek.is_not(None))) or 0)

    def replace_wrapped(self, subject: str, old: bytes, new: bytes) -> bool:
        """Compare-and-set, so a concurrent shred is never undone by a rewrap."""
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            row = s.get(SubjectKey, subject)
            if row is None or row.wrapped_dek != old:
                return False
            row.wrapped_dek = new
            return True
