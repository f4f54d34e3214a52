"""Housekeeping drops what has expired and keeps what is still alive."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from idp.models import AccountToken, RateCounter, RevokedAccessToken, UsedAssertion


def _count(services, model) -> int:
    with services.db() as s:
        return int(s.scalar(select(func.count()).select_from(model)))


def test_sweep_drops_expired_rows_and_keeps_live_ones(services, clock):
    now = clock()
    with services.db.begin() as s:
        s.add_all(
            [
                RevokedAccessToken(jti="old", expires_at=now - timedelta(minutes=1)),
                RevokedAccessToken(jti="live", expires_at=now + timedelta(minutes=5)),
                UsedAssertion(jti_hash="old", expires_at=now - timedelta(minutes=1)),
            ]
        )
    services.limiter.failure(account=services.limiter.key("acct", "u1"), ip="192.0.2.1")
    user = services.users.create(username="wulan", password="kata-sandi-rahasia", email="w@x.id")
    services.password_reset.request("w@x.id")  # an emailed single-use link, 30 minutes
    assert _count(services, AccountToken) == 1 and _count(services, RateCounter) == 2

    assert services.housekeeping.run()["idp_revoked_access_tokens"] == 1
    assert _count(services, RevokedAccessToken) == 1 and _count(services, UsedAssertion) == 0
    assert _count(services, AccountToken) == 1, "a live reset link was dropped"

    clock.advance(2 * 3600)  # the link (30 min) and the failure windows (1 h) have passed
    dropped = services.housekeeping.run()
    assert dropped["idp_account_tokens"] == 1 and dropped["idp_rate_counters"] == 2
    assert services.users.get(user.sub) is not None  # users are never swept
    events = services.audit.recent(type_prefix="housekeeping.")
    assert events and events[0].detail["idp_account_tokens"] == 1
