"""Core statements compiled once and run on the DBAPI connection underneath SQLAlchemy.

On the hottest paths (the audit writer, every password sign-in) SQLAlchemy's execution context
cost more than the statement: ~45 µs a statement against ~5 µs for the driver's own call,
twice that once argon2id has swept the caches (docs/benchmarks.md). A `DriverStatement` keeps
what SQLAlchemy would do per call, worked out once for the dialect: the SQL text with the
dialect's casts, each parameter's bind conversion (datetimes and JSON on SQLite), each result
column's conversion, and SQLAlchemy's exception classes for driver errors. It runs on the
connection of a SQLAlchemy `Connection` (inside that connection's transaction) or on a raw
pooled connection.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

from storage.unit_of_work import UnitOfWork

Converter = Callable[[Any], Any]


class DriverStatement:
    """`statement` compiled for `dialect`. Parameters are passed by bind name (for an INSERT,
    by column key: give `column_keys`, the keys every call passes)."""

    def __init__(
        self,
        dialect: Dialect,
        statement: ClauseElement,
        column_keys: Sequence[str] | None = None,
    ) -> None:
        compiled = cast(
            SQLCompiler,
            statement.compile(
                dialect=dialect, column_keys=list(column_keys) if column_keys else None
            ),
        )
        self.sql = str(compiled)
        self._dialect = dialect
        self._dbapi_error: type[Exception] = dialect.loaded_dbapi.Error
        named = dialect.paramstyle in ("named", "pyformat")
        # Positional styles (SQLite's qmark) take the values in the compiled order.
        self._order: tuple[str, ...] | None = None if named else tuple(compiled.positiontup or ())
        self._bind: dict[str, Converter] = {
            name: proc
            for name, bind in compiled.binds.items()
            if (proc := bind.type.dialect_impl(dialect).bind_processor(dialect))
        }
        # Values the statement carries itself (a LIMIT, a literal compared with): SQLAlchemy
        # sends them as parameters too. A value computed per execution would be frozen here.
        if any(bind.callable is not None for bind in compiled.binds.values()):
            raise ValueError("a statement with a callable bind value cannot be compiled once")
        self._fixed = {
            name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required
        }
        # For positional styles: each position's name and conversion, so a call builds the
        # tuple in one pass (no dict of converted values first).
        self._plan = (
            None if self._order is None else tuple((k, self._bind.get(k)) for k in self._order)
        )
        self._columns = list(getattr(statement, "selected_columns", ()))
        # Result conversions depend on the type codes the driver reports (psycopg's numbers):
        # worked out from the first result's description, as SQLAlchemy does per result.
        self._result: list[tuple[int, Converter]] | None = None

    def params(self, values: Mapping[str, Any]) -> dict[str, Any] | tuple[Any, ...]:
        if self._fixed:
            values = {**self._fixed, **values}
        if self._plan is not None:
            return tuple(f(values[k]) if f else values[k] for k, f in self._plan)
        bind = self._bind
        return {k: (f(v) if (f := bind.get(k)) else v) for k, v in values.items()}

    def execute(self, conn: Connection | PoolProxiedConnection, values: Mapping[str, Any]) -> None:
        """Run once (inside `conn`'s transaction; the caller commits)."""
        self._run(conn, lambda cur: cur.execute(self.sql, self.params(values)))

    def executemany(
        self, conn: Connection | PoolProxiedConnection, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        params = [self.params(r) for r in rows]
        self._run(conn, lambda cur: cur.executemany(self.sql, params))

    def rows(
        self, conn: Connection | PoolProxiedConnection, values: Mapping[str, Any]
    ) -> list[Any]:
        """The result rows, each a list of converted column values."""
        fetched: list[Any] = []

        def run(cur: Any) -> None:
            cur.execute(self.sql, self.params(values))
            fetched.extend(cur.fetchall())
            if self._result is None:
                self._result = self._conversions(cur.description)

        self._run(conn, run)
        out = [list(r) for r in fetched]
        for row in out:
            for i, f in self._result or ():
                row[i] = f(row[i])
        return out

    def _conversions(self, description: Sequence[Sequence[Any]]) -> list[tuple[int, Converter]]:
        dialect = self._dialect
        return [
            (i, proc)
            for i, (column, described) in enumerate(zip(self._columns, description, strict=True))
            if (proc := column.type.dialect_impl(dialect).result_processor(dialect, described[1]))
        ]

    def commit(self, conn: PoolProxiedConnection) -> None:
        """Commit a raw pooled connection this statement ran on, with errors as `_run`'s."""
        self._guarded(conn.commit)

    def _run(self, conn: Connection | PoolProxiedConnection, op: Callable[[Any], None]) -> None:
        raw = conn.connection if isinstance(conn, Connection) else conn

        def run() -> None:
            cursor = raw.cursor()
            try:
                op(cursor)
            finally:
                cursor.close()

        self._guarded(run)

    def _guarded(self, op: Callable[[], object]) -> None:
        try:
            op()
        except self._dbapi_error as exc:
            # As SQLAlchemy raises it (an outage is an OperationalError, as anywhere else), with
            # the parameters kept out of the message: they may be personal data.
            raise DBAPIError.instance(
                self.sql, None, exc, self._dbapi_error, hide_parameters=True, dialect=self._dialect
            ) from exc


class DriverStatements:
    """One statement, compiled for each dialect it is run on (in practice the one engine's).
    Owned by an object, not a module: engines come and go with their services."""

    def __init__(self, statement: ClauseElement, column_keys: Sequence[str] | None = None) -> None:
        self._statement, self._keys = statement, column_keys
        self._executable = cast(Executable, statement)  # an INSERT or a SELECT is both
        self._compiled: dict[Dialect, DriverStatement] = {}

    def on(self, dialect: Dialect) -> DriverStatement:
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = DriverStatement(
                dialect, self._statement, self._keys
            )
        return compiled

    def execute(self, work: UnitOfWork, values: Mapping[str, Any]) -> None:
        """Run once inside `work`'s transaction: on the driver under its connection; through
        SQLAlchemy when it has an ORM session, which first flushes what it holds pending."""
        session = work.opened_session
        if session is None:
            connection = work.connection
            self.on(connection.dialect).execute(connection, values)
        else:
            session.execute(self._executable, values)

    def rows(self, work: UnitOfWork, values: Mapping[str, Any]) -> list[Any]:
        """The result rows inside `work`'s transaction, each a list, as `execute` runs it."""
        session = work.opened_session
        if session is None:
            connection = work.connection
            return self.on(connection.dialect).rows(connection, values)
        return [list(r) for r in session.execute(self._executable, values)]

    def read(self, engine: Engine, values: Mapping[str, Any]) -> list[Any]:
        """`rows` on a pooled connection of `engine`, checked out for this read alone."""
        conn = engine.raw_connection()
        try:
            return self.on(engine.dialect).rows(conn, values)
        finally:
            conn.close()
