"""The unit of work: one type on SQLite and PostgreSQL, committed when its block ends, rolled
back when it raises, with its Core statements and its ORM work in the one transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from audit import AuditEvent
from audit.log import AuditRecord
from idp.accounts.models import Organisation
from storage import UnitOfWork, begin


def _org(name: str) -> Organisation:
    return Organisation(id=str(uuid.uuid4()), name=name, created_at=datetime.now(UTC))


def _audited(services, type_: str) -> int:
    with services.engine.connect() as c:
        return int(
            c.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.type == type_))
        )


def test_it_is_one_type_on_either_database(services):
    with begin(services.engine, services.db) as work:
        assert type(work) is UnitOfWork
        assert isinstance(work.connection, Connection)
        assert work.dialect is services.engine.dialect
        assert work.opened_session is None  # no ORM session until a callee asks for one
    with services.db.begin() as s:
        joined = UnitOfWork.of(s)
        assert type(joined) is UnitOfWork
        assert joined.session is s and joined.opened_session is s
        assert joined.connection is s.connection()


def test_it_commits_when_the_block_ends(services):
    with begin(services.engine, services.db) as work:
        services.audit.record(AuditEvent("test.uow.commit"), work=work)
        assert _audited(services, "test.uow.commit") == 0  # not before the commit
    assert _audited(services, "test.uow.commit") == 1


def test_it_rolls_back_when_the_block_raises(services):
    with pytest.raises(RuntimeError), begin(services.engine, services.db) as work:
        services.audit.record(AuditEvent("test.uow.rollback"), work=work)
        work.session.add(_org("Kabupaten Bogor"))
        raise RuntimeError("the step after it failed")
    assert _audited(services, "test.uow.rollback") == 0
    with Session(services.engine) as s:
        assert s.scalar(select(Organisation).where(Organisation.name == "Kabupaten Bogor")) is None


def test_orm_work_made_for_a_callee_shares_the_transaction(services):
    with begin(services.engine, services.db) as work:
        work.session.add(_org("Kota Bandung"))
        # A statement through the work sees the ORM change: the session flushes it first.
        found = work.execute(select(Organisation.name).where(Organisation.name == "Kota Bandung"))
        assert found.scalar() == "Kota Bandung"
        services.audit.record(AuditEvent("test.uow.orm"), work=work)
        # The session's info is the application's (sealed fields read the cipher there).
        assert work.session.info == services.db.kw["info"]
    with Session(services.engine) as s:
        assert s.scalar(select(Organisation.id).where(Organisation.name == "Kota Bandung"))
    assert _audited(services, "test.uow.orm") == 1


def test_an_orm_transaction_joined_as_a_unit_of_work_commits_with_its_owner(services):
    with pytest.raises(RuntimeError), services.db.begin() as s:
        services.audit.record(AuditEvent("test.uow.joined"), work=UnitOfWork.of(s))
        raise RuntimeError
    assert _audited(services, "test.uow.joined") == 0
    with services.db.begin() as s:
        services.audit.record(AuditEvent("test.uow.joined"), work=UnitOfWork.of(s))
    assert _audited(services, "test.uow.joined") == 1


def test_it_runs_on_a_connection_or_in_a_session_never_both_or_neither(services):
    with pytest.raises(ValueError):
        UnitOfWork()
    with services.engine.connect() as c, Session(c) as s, pytest.raises(ValueError):
        UnitOfWork(c, session=s)
