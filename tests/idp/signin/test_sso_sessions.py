"""SSO sessions: established from a login, found again by the cookie's secret, ended by idle
time, by their absolute lifetime or by revocation, and the apps each one reached. Time moves
on the injectable clock."""

from __future__ import annotations

from sqlalchemy import select

from idp.secrets import secret_hash
from idp.signin.models import SsoSession

PASSWORD = "kata-sandi-rahasia"


def new_user(services, username: str = "dewi") -> str:
    return services.users.create(username=username, password=PASSWORD).sub


def test_a_session_is_found_again_by_its_cookie(services, clock):
    uid = new_user(services)
    session, cookie = services.sessions.establish(
        uid, acr="urn:satupintu:acr:pwd", amr=["pwd"], user_agent="Firefox " + "x" * 300
    )
    found = services.sessions.lookup(cookie)
    assert found is not None
    assert (found.sid, found.user_id, found.amr) == (session.sid, uid, ["pwd"])
    assert found.acr == "urn:satupintu:acr:pwd"
    assert abs((found.auth_time - clock()).total_seconds()) < 2
    assert found.user_agent is not None and len(found.user_agent) == 200
    assert services.sessions.get(session.sid) is not None


def test_the_database_holds_only_the_cookies_hash(services):
    _session, cookie = services.sessions.establish(new_user(services), acr=None, amr=["pwd"])
    with services.db() as s:
        (row,) = s.scalars(select(SsoSession)).all()
        assert row.secret_hash == secret_hash(cookie) != cookie
        assert cookie not in {str(getattr(row, c.key)) for c in SsoSession.__table__.columns}


def test_no_session_for_a_wrong_missing_or_oversized_cookie(services):
    _session, cookie = services.sessions.establish(new_user(services), acr=None, amr=["pwd"])
    for wrong in (None, "", cookie[:-1], cookie + "x", "x" * 129):
        assert services.sessions.lookup(wrong) is None


def test_amr_keeps_its_first_factor_first_once_each(services):
    session, _cookie = services.sessions.establish(
        new_user(services), acr=None, amr=["pwd", "otp", "pwd", "mfa", "otp"]
    )
    assert session.amr == ["pwd", "otp", "mfa"]


def test_an_idle_session_ends(services, clock):
    idle = services.settings.session_idle_ttl
    _session, cookie = services.sessions.establish(new_user(services), acr=None, amr=["pwd"])
    clock.advance(idle - 5)
    assert services.sessions.lookup(cookie) is not None
    clock.advance(idle - 5)  # long since the login, but not since the last request
    assert services.sessions.lookup(cookie) is not None
    clock.advance(idle + 1)
    assert services.sessions.lookup(cookie) is None


def test_an_active_session_ends_at_its_absolute_lifetime(services, clock):
    absolute, idle = services.settings.session_ttl, services.settings.session_idle_ttl
    session, cookie = services.sessions.establish(new_user(services), acr=None, amr=["pwd"])
    step = idle // 2
    for _ in range(absolute // step - 1):
        clock.advance(step)
        assert services.sessions.lookup(cookie) is not None
    clock.advance(step + 1)
    assert services.sessions.lookup(cookie) is None
    assert services.sessions.get(session.sid) is None


def test_a_revoked_session_ends_at_once(services):
    uid = new_user(services)
    session, cookie = services.sessions.establish(uid, acr=None, amr=["pwd"])
    other, other_cookie = services.sessions.establish(uid, acr=None, amr=["pwd"])
    ended = services.sessions.revoke(session.sid, actor=uid)
    assert ended is not None and ended.sid == session.sid
    assert services.sessions.lookup(cookie) is None and services.sessions.get(session.sid) is None
    assert services.sessions.revoke(session.sid, actor=uid) is None  # already ended
    assert [s.sid for s in services.sessions.for_user(uid)] == [other.sid]
    assert services.sessions.lookup(other_cookie) is not None
    (event,) = services.audit.recent(type_prefix="session.revoke")
    assert event.subject == uid and event.detail == {"sid": session.sid, "reason": "logout"}


def test_logging_in_again_keeps_the_sid_but_not_the_cookie(services, clock):
    uid = new_user(services)
    first, old_cookie = services.sessions.establish(uid, acr=None, amr=["pwd"])
    clock.advance(120)
    again, new_cookie = services.sessions.establish(
        uid, acr="urn:satupintu:acr:mfa", amr=["pwd", "otp", "mfa"], current_cookie=old_cookie
    )
    assert again.sid == first.sid and new_cookie != old_cookie
    assert services.sessions.lookup(old_cookie) is None  # no session fixation
    found = services.sessions.lookup(new_cookie)
    assert found is not None and found.amr == ["pwd", "otp", "mfa"]
    assert (found.auth_time - first.auth_time).total_seconds() >= 120


def test_another_user_or_an_ended_session_starts_a_new_sid(services):
    uid, other = new_user(services), new_user(services, "sari")
    first, cookie = services.sessions.establish(uid, acr=None, amr=["pwd"])
    theirs, _ = services.sessions.establish(other, acr=None, amr=["pwd"], current_cookie=cookie)
    assert theirs.sid != first.sid and theirs.user_id == other
    services.sessions.revoke(first.sid, actor=uid)
    again, _ = services.sessions.establish(uid, acr=None, amr=["pwd"], current_cookie=cookie)
    assert again.sid != first.sid


def test_a_session_remembers_the_apps_it_reached(services):
    uid = new_user(services)
    session, _ = services.sessions.establish(uid, acr=None, amr=["pwd"])
    other, _ = services.sessions.establish(uid, acr=None, amr=["pwd"])
    services.sessions.add_client(session.sid, "app-1")
    services.sessions.add_client(session.sid, "app-1")
    services.sessions.add_client(session.sid, "app-2")
    assert sorted(services.sessions.clients(session.sid)) == ["app-1", "app-2"]
    assert services.sessions.clients(other.sid) == []


def test_for_user_lists_only_live_sessions_oldest_first(services, clock):
    uid = new_user(services)
    older, _ = services.sessions.establish(uid, acr=None, amr=["pwd"])
    clock.advance(10)
    newer, newer_cookie = services.sessions.establish(uid, acr=None, amr=["pwd"])
    assert [s.sid for s in services.sessions.for_user(uid)] == [older.sid, newer.sid]
    clock.advance(services.settings.session_idle_ttl - 5)
    services.sessions.lookup(newer_cookie)  # only the newer one is in use
    clock.advance(10)
    assert [s.sid for s in services.sessions.for_user(uid)] == [newer.sid]
    assert services.sessions.for_user(new_user(services, "sari")) == []
