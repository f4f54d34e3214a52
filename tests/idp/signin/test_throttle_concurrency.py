"""Concurrent guesses get no more checks than sequential ones (reserve, then check).

The review sent 250 wrong second-factor codes at once: every one was checked and the per-IP
counter ended at 327 against its limit of 100, because the limit was read before each attempt
and the failure counted after it. Here the attempts race through a barrier against the
database (SQLite, PostgreSQL) and Redis, and what is counted is how many secrets were checked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.oidc_rp import csrf_of

PASSWORD = "gunung-salak-berkabut"
RACERS = 24


@pytest.fixture(params=["database", "redis"])
def make(request, workers):
    """Services on the test's database, their counters in the database or in Redis."""
    prefix = request.getfixturevalue("redis_prefix") if request.param == "redis" else None
    return lambda **overrides: workers(redis=prefix, **overrides)


class Counted:
    """Wraps a method on an object and counts the calls that reached it."""

    def __init__(self, owner: Any, name: str) -> None:
        self.n, self._lock = 0, threading.Lock()
        inner = getattr(owner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.n += 1
            return inner(*args, **kwargs)

        setattr(owner, name, counted)


def race(n: int, attempt: Callable[[int], Any]) -> list[Any]:
    """`n` attempts released together."""
    gate = threading.Barrier(n)

    def one(i: int) -> Any:
        gate.wait()
        return attempt(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_concurrent_wrong_passwords_get_only_the_free_checks(make):
    svc = make()
    svc.users.create(username="sinta", password=PASSWORD)
    checked = Counted(svc.users, "verify_password")
    results = race(RACERS, lambda _i: svc.password_login.attempt("sinta", "salah", "10.0.0.7"))
    assert checked.n == svc.settings.login_free_failures
    assert sum(r.throttled is not None for r in results) == RACERS - checked.n


def test_concurrent_guesses_from_one_address_stop_at_its_limit(make):
    svc = make(ip_failure_limit=7)
    checked = Counted(svc.users, "verify_password")
    results = race(
        RACERS, lambda i: svc.password_login.attempt(f"akun{i}@contoh.id", "salah", "10.0.0.8")
    )
    assert checked.n == 7
    assert {r.throttled.reason for r in results if r.throttled} == {"ip_failures"}
    # Another address is not affected.
    assert svc.password_login.attempt("akun0@contoh.id", "salah", "10.0.0.9").throttled is None


def test_the_right_password_gives_back_what_it_reserved(make):
    """Only failures count: an office full of citizens signing in at one address never meets
    the per-address limit, and the owner's own sign-in clears the account's failures."""
    svc = make(ip_failure_limit=3)
    svc.users.create(username="sinta", password=PASSWORD)
    for _ in range(10):
        assert svc.password_login.attempt("sinta", PASSWORD, "10.0.0.10").user is not None
    for i in range(4):
        assert svc.password_login.attempt("sinta", "salah", f"10.0.1.{i}").throttled is None
    assert svc.password_login.attempt("sinta", PASSWORD, "10.0.2.1").user is not None
    for i in range(4):  # the slate is clean again: four more failures are free
        assert svc.password_login.attempt("sinta", "salah", f"10.0.3.{i}").throttled is None


def _second_factor_due(svc: Any, clock: Any) -> tuple[TestClient, pyotp.TOTP, list[str]]:
    """A user with an authenticator app and recovery codes, past the password step."""
    user = svc.users.create(username="bima", password=PASSWORD)
    totp = pyotp.TOTP(svc.factors.totp.begin(user.sub, "bima").secret)
    clock.align()
    assert svc.factors.totp.confirm(user.sub, totp.at(clock(), counter_offset=-1), actor=user.sub)
    codes = svc.factors.recovery.generate(user.sub, actor=user.sub)
    web = TestClient(create_app(svc.settings, svc), base_url="http://localhost:8000")
    page = web.get("/login")
    r = web.post(
        "/login",
        data={"username": "bima", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.headers["location"].startswith("/login/otp")
    return web, totp, codes


@pytest.mark.parametrize("kind", ["totp", "recovery"])
def test_concurrent_wrong_second_factor_codes_get_only_the_free_checks(make, clock, kind):
    svc = make(ip_failure_limit=10)
    web, totp, _codes = _second_factor_due(svc, clock)
    form = {"csrf_token": csrf_of(web.get("/login/otp").text)}
    right = totp.at(clock())
    wrong = [
        f"{(int(right) + i + 1) % 1_000_000:06d}" if kind == "totp" else f"ABCD-EF{i:02d}-GHJK"
        for i in range(RACERS)
    ]
    checked = Counted(svc.factors, "verify_code")
    cookies = dict(web.cookies)

    def guess(i: int) -> int:
        with TestClient(web.app, base_url="http://localhost:8000", cookies=cookies) as one:
            r = one.post("/login/otp", data={**form, "otp": wrong[i]}, follow_redirects=False)
            return r.status_code

    statuses = race(RACERS, guess)
    assert checked.n == svc.settings.login_free_failures
    assert statuses.count(429) == RACERS - checked.n
    assert statuses.count(401) == checked.n
    # The per-address counter holds what was checked, never more than its limit.
    counter = svc.limiter.peek_ip_failures("testclient")
    assert counter is not None and counter.count == checked.n


def test_one_recovery_code_spent_concurrently_opens_one_session(make, clock):
    svc = make()
    web, _totp, codes = _second_factor_due(svc, clock)
    form = {"csrf_token": csrf_of(web.get("/login/otp").text), "otp": codes[0]}
    cookies = dict(web.cookies)

    def spend(_i: int) -> bool:
        with TestClient(web.app, base_url="http://localhost:8000", cookies=cookies) as one:
            r = one.post("/login/otp", data=form, follow_redirects=False)
            return svc.settings.cookie_name in r.cookies

    assert sum(race(8, spend)) == 1
