"""Housekeeping drops what has expired and keeps what is still alive."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from idp.oauth.models import RevokedAccessToken, UsedAssertion
from idp.selfservice.models import AccountToken
from idp.signin.models import RateCounter
from vault.keystore import SubjectKey


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
    services.limiter.begin(account=services.limiter.key("acct", "u1"), ip="192.0.2.1").failed()
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


def test_an_abandoned_signup_stops_holding_its_nik_and_email(services, clock):
    """Never verified within `pending_signup_days`: the account, its link and (by shredding
    its data key) its sealed fields go; the NIK and email can register again."""
    nik, email = "3273016303850002", "dina@contoh.id"
    kept = services.users.create(username="tetap", password="kata-sandi-rahasia")
    sub = services.self_registration.register(
        nik=nik, email=email, name="Dina", password="kata-sandi-rahasia"
    )
    assert sub and services.users.find_by_login(nik) is not None
    clock.advance(2 * 86400)
    assert services.housekeeping.run()["abandoned_signups"] == 0  # still within its week
    clock.advance(6 * 86400)
    assert services.housekeeping.run()["abandoned_signups"] == 1
    assert services.users.find_by_login(nik) is None and services.users.find_by_login(email) is None
    with services.db() as s:
        key = s.get(SubjectKey, sub)
    assert key is not None and key.wrapped_dek is None, "the data key should be destroyed"
    assert services.users.get(kept.sub) is not None
    assert services.self_registration.register(
        nik=nik, email=email, name="Dina", password="kata-sandi-rahasia"
    )
