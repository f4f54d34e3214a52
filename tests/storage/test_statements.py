"""Statements run on the driver behave as SQLAlchemy's own execution would: the same stored
values (datetimes, JSON, booleans), the same conversions on the way back, SQLAlchemy's
exception classes with no parameters in the message, and the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from idp.signin.models import SsoSession
from storage import UnitOfWork, begin
from storage.statements import DriverStatement, DriverStatements

T = SsoSession.__table__
KEYS = ("id", "user_id", "secret_hash", "auth_time", "acr", "amr", "created_at")
KEYS += ("last_seen_at", "expires_at", "user_agent")


def _row(**over: object) -> dict[str, object]:
    now = datetime(2026, 11, 23, 10, 30, 15, 123456, tzinfo=UTC)
    row: dict[str, object] = dict(
        id=str(uuid.uuid4()),
        user_id="u-1",
        secret_hash=uuid.uuid4().hex,
        auth_time=now,
        acr="urn:pwd",
        amr=["pwd", "otp"],
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=8),
        user_agent="Mozilla/5.0 (ponsel) ünïcode",
    )
    return row | over


def test_an_insert_on_the_driver_reads_back_as_the_core_insert_does(services):
    engine = services.engine
    statement = DriverStatement(engine.dialect, insert(T), KEYS)
    mine, core = _row(), _row()
    with engine.begin() as c:
        statement.execute(c, mine)
        c.execute(insert(T), core)
    with engine.connect() as c:
        got = {r.id: r for r in c.execute(select(T).where(T.c.id.in_([mine["id"], core["id"]])))}
    a, b = got[str(mine["id"])], got[str(core["id"])]
    for key in KEYS:
        if key != "id" and key != "secret_hash":
            assert getattr(a, key) == getattr(b, key), key
    assert a.amr == ["pwd", "otp"]
    assert a.user_agent.endswith("ünïcode")


def test_selected_rows_are_converted_as_sqlalchemy_converts_them(services):
    engine = services.engine
    row = _row()
    with engine.begin() as c:
        c.execute(insert(T), row)
    by_hash = select(T.c.id, T.c.auth_time, T.c.amr, T.c.revoked_at).where(
        T.c.secret_hash == bindparam("h")
    )
    statements = DriverStatements(by_hash)
    with engine.connect() as c:
        core = c.execute(by_hash, {"h": row["secret_hash"]}).one()
        driver = statements.on(engine.dialect).rows(c, {"h": row["secret_hash"]})
        none = statements.on(engine.dialect).rows(c, {"h": "no such hash"})
    assert driver == [list(core)]
    assert isinstance(driver[0][1], datetime) and driver[0][2] == ["pwd", "otp"]
    assert none == []
    assert statements.on(engine.dialect) is statements.on(engine.dialect)  # compiled once


def test_a_raw_pooled_connection_commits_what_ran_on_it(services):
    engine = services.engine
    statement = DriverStatement(engine.dialect, insert(T).inline(), KEYS)
    rows = [_row(), _row()]
    conn = engine.raw_connection()
    try:
        statement.executemany(conn, rows)
        statement.commit(conn)
    finally:
        conn.close()
    with engine.connect() as c:
        ids = set(c.scalars(select(T.c.id).where(T.c.id.in_([r["id"] for r in rows]))))
    assert ids == {r["id"] for r in rows}


def test_it_runs_inside_the_callers_transaction(services):
    engine = services.engine
    statement = DriverStatement(engine.dialect, insert(T), KEYS)
    row = _row()
    with pytest.raises(RuntimeError), engine.begin() as c:
        statement.execute(c, row)
        raise RuntimeError("the business step after it failed")
    with engine.connect() as c:
        assert c.scalar(select(T.c.id).where(T.c.id == row["id"])) is None  # rolled back


def test_driver_errors_come_out_as_sqlalchemy_errors_without_parameters(services):
    engine = services.engine
    statement = DriverStatement(engine.dialect, insert(T), KEYS)
    row = _row(user_agent="a secret user agent")
    with engine.begin() as c:
        statement.execute(c, row)
    with pytest.raises(IntegrityError) as caught, engine.begin() as c:
        statement.execute(c, row)  # the same primary key again
    assert "a secret user agent" not in str(caught.value)
    gone = select(T.c.id).where(T.c.id == bindparam("x"))
    missing = DriverStatement(engine.dialect, gone)
    with engine.begin() as c:
        c.exec_driver_sql("ALTER TABLE idp_sso_sessions RENAME TO idp_sso_sessions_away")
    try:
        with pytest.raises(DBAPIError) as by_core, engine.connect() as c:
            c.execute(gone, {"x": "1"})
        with pytest.raises(DBAPIError) as by_driver, engine.connect() as c:
            missing.rows(c, {"x": "1"})
        # OperationalError on SQLite, ProgrammingError on PostgreSQL: whatever SQLAlchemy says.
        assert type(by_driver.value) is type(by_core.value)
    finally:
        with engine.begin() as c:
            c.exec_driver_sql("ALTER TABLE idp_sso_sessions_away RENAME TO idp_sso_sessions")


def test_values_the_statement_carries_itself_are_sent(services):
    engine = services.engine
    with engine.begin() as c:
        c.execute(insert(T), [_row(user_id="u-9"), _row(user_id="u-9"), _row(user_id="u-8")])
    # The LIMIT and the literal are bound parameters SQLAlchemy fills in from the statement.
    first = select(T.c.user_id).where(T.c.user_id == "u-9").limit(1)
    with engine.connect() as c:
        assert DriverStatement(engine.dialect, first).rows(c, {}) == [["u-9"]]


def test_the_same_statements_run_in_an_orm_session_after_its_pending_changes(services):
    from sqlalchemy.orm import Session

    engine = services.engine
    inserts = DriverStatements(insert(T), KEYS)
    by_user = DriverStatements(select(T.c.id).where(T.c.user_id == bindparam("u")))
    pending, driven = _row(user_id="u-orm"), _row(user_id="u-orm")
    with Session(engine) as s, s.begin():
        s.add(SsoSession(**pending))  # not flushed yet: the read below must see it
        inserts.execute(UnitOfWork.of(s), driven)
        in_session = by_user.rows(UnitOfWork.of(s), {"u": "u-orm"})
    with begin(engine) as work:
        on_driver = by_user.rows(work, {"u": "u-orm"})
    assert sorted(in_session) == sorted(on_driver) == sorted([[pending["id"]], [driven["id"]]])
