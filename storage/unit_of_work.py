"""A unit of work: one database transaction, opened by the service that owns it and handed to
the callees that read and write in it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Connection, Dialect, Engine, Result
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import Executable


class UnitOfWork:
    """A transaction in progress, as its callees see it: the Core `connection` it runs on and,
    for ORM work, a `session` in the same transaction.

    Its owner opens it, with `begin` (on a Core connection, as the hot paths do: an ORM session
    is made only if a callee asks for one) or with `UnitOfWork.of` (the transaction of an ORM
    session the owner opened), and commits or rolls it back; callees never do. A statement run
    through it goes through the ORM session when one is open, so that what the session holds
    pending is flushed first, and on the connection otherwise."""

    __slots__ = ("_connection", "_session", "_sessions")

    def __init__(
        self,
        connection: Connection | None = None,
        *,
        session: Session | None = None,
        sessions: sessionmaker[Session] | None = None,
    ) -> None:
        if (connection is None) == (session is None):
            raise ValueError("a unit of work runs on a connection or in a session")
        self._connection, self._session, self._sessions = connection, session, sessions

    @classmethod
    def of(cls, session: Session) -> UnitOfWork:
        """The transaction `session` is in (or begins on first use), as a unit of work."""
        return cls(session=session)

    @property
    def connection(self) -> Connection:
        """The Core connection the transaction runs on."""
        if self._connection is None:
            assert self._session is not None
            self._connection = self._session.connection()
        return self._connection

    @property
    def dialect(self) -> Dialect:
        return self.connection.dialect

    @property
    def session(self) -> Session:
        """An ORM session in this transaction: the owner's, or one made on first use, bound to
        the connection (it never commits: the unit of work does)."""
        if self._session is None:
            make = self._sessions or Session
            self._session = make(bind=self._connection)
        return self._session

    @property
    def opened_session(self) -> Session | None:
        """The ORM session of this unit of work, if it has one yet (the owner's, or one made
        for a callee)."""
        return self._session

    def execute(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Result[Any]:
        """Run `statement` in the transaction: through the ORM session when one is open (after
        it flushes what it holds pending), else on the connection."""
        return (self._session or self.connection).execute(statement, params)

    def _finish(self) -> None:
        """Flush the session made for this work into its transaction, before the commit."""
        if self._session is not None:
            self._session.flush()

    def _close(self) -> None:
        if self._session is not None and self._connection is not None:
            self._session.close()


@contextmanager
def begin(engine: Engine, sessions: sessionmaker[Session] | None = None) -> Iterator[UnitOfWork]:
    """A unit of work on a connection of `engine`: committed when the block ends, rolled back
    when it raises. ORM work in it gets a session from `sessions` (the application's
    sessionmaker, whose `info` sealed fields read) when given, else a plain `Session`."""
    with engine.begin() as connection:
        work = UnitOfWork(connection, sessions=sessions)
        try:
            yield work
            work._finish()
        finally:
            work._close()
