"""The audit writer: a caller's row is committed before `record` returns, rows arriving
together share a commit, and a failed commit reaches every caller without stopping the writer."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import text

from audit import AuditEvent, Outcome
from audit.group_commit import GroupCommit
from audit.log import AUDIT_TABLE
from storage import UnitOfWork


def _count(services, type_prefix: str) -> int:
    return len(services.audit.recent(type_prefix=type_prefix, limit=10_000))


def test_recorded_rows_are_committed_when_record_returns(services):
    services.audit.record(AuditEvent("test.one", actor="operator"))
    # Read through a fresh connection: the row is durable, not just queued.
    with services.engine.connect() as conn:
        found = conn.execute(text("SELECT count(*) FROM audit_events WHERE type = 'test.one'"))
        assert found.scalar() == 1


def test_concurrent_rows_all_land_in_fewer_commits(services):
    before = services.audit.commits
    threads = [
        threading.Thread(
            target=lambda i=i: [
                services.audit.record(AuditEvent("test.burst", detail={"n": i, "k": k}))
                for k in range(10)
            ]
        )
        for i in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _count(services, "test.burst") == 80
    assert services.audit.commits - before < 80  # callers arriving together shared commits


def test_a_failed_commit_reaches_every_caller_and_the_writer_recovers(services):
    with services.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_events RENAME TO audit_events_away"))
    errors: list[Exception] = []

    def record() -> None:
        try:
            services.audit.record(AuditEvent("test.lost", Outcome.FAILURE))
        except Exception as exc:
            errors.append(exc)

    callers = [threading.Thread(target=record) for _ in range(5)]
    for t in callers:
        t.start()
    for t in callers:
        t.join(30)
    assert len(errors) == 5 and all("audit_events" in str(e) for e in errors)
    with services.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_events_away RENAME TO audit_events"))
    services.audit.record(AuditEvent("test.after"))
    assert _count(services, "test.after") == 1
    assert _count(services, "test.lost") == 0


def test_a_row_from_the_writer_reads_back_like_one_written_in_a_transaction(services):
    # The writer hands its batch to the driver itself: its dates and JSON must come out the
    # same as through SQLAlchemy's own INSERT.
    detail = {"jti": "abc", "scope": "openid", "n": 3, "nested": {"ok": True}}
    services.audit.record(AuditEvent("test.via.writer", actor="a", subject="s", detail=detail))
    with services.db.begin() as s:
        services.audit.record(
            AuditEvent("test.via.session", actor="a", subject="s", detail=detail),
            work=UnitOfWork.of(s),
        )
    writer, session = (
        services.audit.recent(type_prefix=t, limit=1)[0]
        for t in ("test.via.writer", "test.via.session")
    )
    assert writer.detail == session.detail == detail
    assert (writer.actor, writer.subject, writer.outcome) == ("a", "s", "success")
    assert type(writer.at) is type(session.at)
    assert writer.at.tzinfo == session.at.tzinfo
    assert abs((writer.at - session.at).total_seconds()) < 60


def _row(kind: str) -> dict:
    return {
        "at": datetime.now(UTC),
        "type": kind,
        "outcome": "success",
        "actor": None,
        "subject": None,
        "client_id": None,
        "org_id": None,
        "purpose": None,
        "detail": {},
    }


def test_rows_announced_by_requests_in_flight_share_one_commit(services):
    # A generous wait, so a slow machine cannot split the batch.
    writer = GroupCommit(services.engine, AUDIT_TABLE, expect_wait=1.0)

    async def request(delay: float) -> None:
        with writer.expecting():
            await asyncio.sleep(delay)
            await writer.submit_async(_row("test.announced"))

    async def both() -> None:
        await asyncio.gather(request(0), request(0.05))

    try:
        asyncio.run(both())
        assert writer.commits == 1  # the first row waited for the second
        assert _count(services, "test.announced") == 2
    finally:
        writer.close()


def test_a_lone_request_does_not_wait_for_rows_nobody_announced(services):
    writer = GroupCommit(services.engine, AUDIT_TABLE, expect_wait=5.0)

    async def lone() -> float:
        start = time.monotonic()
        with writer.expecting():
            await writer.submit_async(_row("test.lone"))
        return time.monotonic() - start

    try:
        assert asyncio.run(lone()) < 2.5  # far below the 5 s it would wait for a sibling
        assert writer.commits == 1
    finally:
        writer.close()


def test_rows_submitted_in_one_turn_of_the_loop_share_one_commit(services):
    """Requests that finish in the same turn of the event loop hand their rows over together,
    even when work that lets go of the GIL (signing, here a sleep) runs between them: one wake
    of the writer and one commit, not one each."""
    writer = GroupCommit(services.engine, AUDIT_TABLE)

    async def one_turn() -> None:
        futures = []
        for _ in range(4):
            futures.append(writer.submit_async(_row("test.turn")))
            time.sleep(0.05)  # the writer could run now, but has nothing yet
        await asyncio.gather(*futures)

    try:
        asyncio.run(one_turn())
        assert writer.commits == 1
        assert _count(services, "test.turn") == 4
    finally:
        writer.close()
