"""A password sign-in is one idp service call: the password behind the limiter, then the
second-factor question and the new session (or the pending sign-in) in one unit of work."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import func, select

from audit.log import AuditRecord

PASSWORD = "kata-sandi-rahasia"


def _enrol_totp(services, uid: str) -> None:
    secret = services.factors.totp.begin(uid, "wati").secret
    services.clock.align()
    code = pyotp.TOTP(secret).at(services.clock(), counter_offset=-1)
    assert services.factors.totp.confirm(uid, code, actor=uid)


def _audited(services, type_: str) -> int:
    with services.engine.connect() as c:
        query = select(func.count()).select_from(AuditRecord).where(AuditRecord.type == type_)
        return int(c.scalar(query))


def test_a_right_password_opens_a_session_with_its_audit_row(services):
    uid = services.users.create(username="wati", password=PASSWORD).sub
    signed_in = services.password_signin.sign_in("wati", PASSWORD, "127.0.0.9", user_agent="ua")
    assert signed_in.result.user is not None and signed_in.second_factor_due is None
    session = services.sessions.lookup(signed_in.cookie)
    assert session is not None and session.user_id == uid and session.amr == ["pwd"]
    assert _audited(services, "session.establish") == 1


def test_a_wrong_password_opens_nothing(services):
    services.users.create(username="wati", password=PASSWORD)
    signed_in = services.password_signin.sign_in("wati", "salah-sandi-nya", "127.0.0.9")
    assert signed_in.cookie is None and signed_in.second_factor_due is None
    assert _audited(services, "session.establish") == 0


def test_with_a_second_factor_the_password_gives_a_pending_sign_in_only(services):
    uid = services.users.create(username="wati", password=PASSWORD).sub
    _enrol_totp(services, uid)
    signed_in = services.password_signin.sign_in("wati", PASSWORD, "127.0.0.9")
    assert signed_in.cookie is None and signed_in.second_factor_due is not None
    due = services.pending_signins.lookup(signed_in.second_factor_due)
    assert due is not None and due.user_id == uid and due.amr == ["pwd"]
    assert services.sessions.for_user(uid) == []
    assert _audited(services, "login.second_factor_due") == 1


def test_the_session_and_its_audit_row_land_together_or_not_at_all(services, monkeypatch):
    uid = services.users.create(username="wati", password=PASSWORD).sub
    record = services.audit.record

    def failing(event, *, work=None):
        record(event, work=work)
        if event.type == "session.establish":
            raise RuntimeError("after the INSERTs, before the commit")

    monkeypatch.setattr(services.audit, "record", failing)
    with pytest.raises(RuntimeError):
        services.password_signin.sign_in("wati", PASSWORD, "127.0.0.9")
    monkeypatch.undo()
    assert services.sessions.for_user(uid) == []
    assert _audited(services, "session.establish") == 0
