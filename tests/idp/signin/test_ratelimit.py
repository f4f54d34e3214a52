"""Brute-force protection: a progressive per-account delay and per-IP limits, shared by every
worker through the database or Redis, never a permanent lock-out."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.oidc_rp import csrf_of

PASSWORD = "gunung-salak-berkabut"


def _failures(svc, subject):
    return [e for e in svc.audit.recent(type_prefix="login.password") if e.subject == subject]


def test_guessing_slows_down_yet_the_owner_gets_in(services, clock):
    owner = services.users.create(username="ratna", password=PASSWORD, nik="3273016303850002")
    other = services.users.create(username="bayu", password=PASSWORD)
    login = services.password_login
    for _ in range(5):  # the first five failures cost nothing
        r = login.attempt("3273016303850002", "tebakan-salah-1", "10.0.0.1")
        assert r.user is None and r.throttled is None
    checked = len(_failures(services, owner.sub))
    # Inside the delay even the right password is refused, without being checked.
    r = login.attempt("ratna", PASSWORD, "10.0.0.1")
    assert r.user is None and r.throttled is not None and r.throttled.retry_after == 1
    assert len(_failures(services, owner.sub)) == checked
    # Each further failure doubles the wait: 2, 4, 8, ... capped at 15 minutes.
    waits = []
    for _ in range(12):
        clock.advance(waits[-1] if waits else 1)
        assert login.attempt("ratna", "tebakan-salah-2", "10.0.0.1").throttled is None
        waits.append(login.attempt("ratna", PASSWORD, "10.0.0.1").throttled.retry_after)
    assert waits[:5] == [2, 4, 8, 16, 32] and waits[-1] == 900 and max(waits) == 900
    # Other accounts are untouched, by every identifier.
    assert login.attempt("bayu", PASSWORD, "10.0.0.1").user.id == other.sub
    # After the wait the owner's password works, and the slate is clean again.
    clock.advance(900)
    assert login.attempt("ratna", PASSWORD, "10.0.0.2").user.id == owner.sub
    assert login.attempt("ratna", "tebakan-salah-3", "10.0.0.2").throttled is None
    events = {e.type for e in services.audit.recent(type_prefix="ratelimit.")}
    assert {"ratelimit.delay", "ratelimit.refused"} <= events
    for e in services.audit.recent(limit=500):  # no NIK or IP in plaintext in the trail
        assert "3273016303850002" not in str(e.detail) and "10.0.0.1" not in str(e.detail)


def test_unknown_logins_are_slowed_like_real_ones(services):
    for _ in range(5):
        services.password_login.attempt("tidak-ada@contoh.id", "tebakan-salah", None)
    r = services.password_login.attempt("TIDAK-ADA@contoh.id", "tebakan-salah", None)
    assert r.throttled is not None and r.throttled.reason == "account"


def test_per_ip_failure_limit_spans_accounts(workers, clock):
    svc = workers(ip_failure_limit=3, ip_failure_window=600)
    svc.users.create(username="wulan", password=PASSWORD)
    for name in ("a1", "a2", "a3"):
        assert svc.password_login.attempt(name, "tebakan-salah", "10.9.9.9").throttled is None
    r = svc.password_login.attempt("wulan", PASSWORD, "10.9.9.9")
    assert r.throttled is not None and r.throttled.reason == "ip_failures"
    assert 590 <= r.throttled.retry_after <= 600
    assert svc.password_login.attempt("wulan", PASSWORD, "10.1.1.1").user is not None
    clock.advance(600)
    assert svc.password_login.attempt("wulan", PASSWORD, "10.9.9.9").user is not None


@pytest.mark.parametrize("shared", ["database", "redis"])
def test_limits_hold_across_workers(workers, shared, request):
    prefix = request.getfixturevalue("redis_prefix") if shared == "redis" else None
    one, two = workers(redis=prefix), workers(redis=prefix)
    one.users.create(username="dimas", password=PASSWORD)
    for worker in (one, two, one, two, one):
        assert worker.password_login.attempt("dimas", "tebakan-salah", None).throttled is None
    assert two.password_login.attempt("dimas", PASSWORD, None).throttled.retry_after == 1
    assert one.password_login.attempt("dimas", PASSWORD, None).throttled.retry_after == 1


@pytest.mark.parametrize("shared", ["database", "redis"])
def test_two_apps_share_the_html_login_delay(workers, shared, request, clock):
    prefix = request.getfixturevalue("redis_prefix") if shared == "redis" else None
    svc_a, svc_b = workers(redis=prefix), workers(redis=prefix)
    svc_a.users.create(username="gita", password=PASSWORD)
    app_a, app_b = create_app(svc_a.settings, svc_a), create_app(svc_b.settings, svc_b)
    base = "http://localhost:8000"
    with TestClient(app_a, base_url=base) as a, TestClient(app_b, base_url=base) as b:

        def post(web, password):
            page = web.get("/login")
            data = {"username": "gita", "password": password, "csrf_token": csrf_of(page.text)}
            return web.post("/login", data=data, follow_redirects=False)

        for web in (a, b, a, b, a):
            assert post(web, "tebakan-salah").status_code == 401
        refused = post(b, PASSWORD)
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
        assert "1 detik" in refused.text  # Indonesian by default, with the wait
        clock.advance(1)
        assert post(a, PASSWORD).status_code == 303


@pytest.mark.parametrize("shared", ["database", "redis"])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_peek_many_returns_the_live_counters_among_the_keys(workers, shared, n, request):
    prefix = request.getfixturevalue("redis_prefix") if shared == "redis" else None
    store = workers(redis=prefix).limiter._store
    keys = [f"peek:{uuid.uuid4().hex}" for _ in range(n)]
    store.hit(keys[0], 1000.0, 60, sliding=False)
    store.hit(keys[-1], 1000.0, 5, sliding=False)  # the same key when n == 1
    store.hit(keys[-1], 1001.0, 5, sliding=False)
    assert set(store.peek_many(keys, 1002.0)) == {keys[0], keys[-1]}
    assert store.peek_many(keys, 1002.0)[keys[-1]].count == (3 if n == 1 else 2)
    # keys[-1] expires at 1005 (a fixed window from its first hit); keys[0] lives on.
    assert set(store.peek_many(keys, 1006.0)) == {keys[0]}
    assert store.peek_many([f"peek:{uuid.uuid4().hex}"], 1002.0) == {}
