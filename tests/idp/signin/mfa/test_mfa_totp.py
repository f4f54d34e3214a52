"""TOTP: enrolment, the ±1 step window, no replay, sealed secret — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pyotp
from sqlalchemy import select

from idp.signin.mfa.models import TotpFactor


def _user(services, name="siti"):
    return services.users.create(username=name, password="kata-sandi-rahasia").sub


def _wrong(totp, services) -> str:
    near = {totp.at(services.clock(), counter_offset=k) for k in (-1, 0, 1)}
    return next(c for c in ("123456", "654321", "111111", "222222") if c not in near)


def _enrol(services, uid):
    e = services.factors.totp.begin(uid, "siti")
    totp = pyotp.TOTP(e.secret)
    assert services.factors.totp.confirm(uid, totp.at(services.clock()), actor=uid)
    return totp


def test_enrolment_shows_qr_and_secret_and_stores_only_ciphertext(services):
    uid = _user(services)
    e = services.factors.totp.begin(uid, "siti")
    assert e.uri.startswith("otpauth://totp/SatuPintu:siti?secret=" + e.secret)
    assert e.qr_svg_data_uri.startswith("data:image/svg+xml;charset=utf-8,")
    assert not services.factors.totp.enrolled(uid)  # pending until confirmed
    with services.db() as s:
        row = s.scalar(select(TotpFactor))
        assert e.secret.encode() not in row.secret_ct
    assert not services.factors.totp.confirm(uid, _wrong(pyotp.TOTP(e.secret), services), actor=uid)
    assert services.factors.totp.confirm(uid, pyotp.TOTP(e.secret).now(), actor=uid)
    assert services.factors.totp.enrolled(uid)


def test_code_accepted_once_and_window_is_one_step(services, clock):
    uid = _user(services)
    totp = _enrol(services, uid)
    clock.advance(60)  # past the enrolment code's step
    now = clock()
    code = totp.at(now)
    assert services.factors.totp.verify(uid, code)
    assert not services.factors.totp.verify(uid, code), "replayed code accepted"
    clock.advance(30)
    assert not services.factors.totp.verify(uid, code), "older code accepted after a newer one"
    assert services.factors.totp.verify(uid, totp.at(clock(), counter_offset=1))  # drift +1
    clock.advance(120)
    clock.align()
    assert not services.factors.totp.verify(uid, totp.at(clock(), counter_offset=-2))
    assert services.factors.totp.verify(uid, totp.at(clock(), counter_offset=-1))


def test_two_workers_cannot_both_accept_one_code(services, clock):
    uid = _user(services)
    totp = _enrol(services, uid)
    clock.advance(90)
    code = totp.at(clock())
    barrier = threading.Barrier(4)

    def attempt(_: int) -> bool:
        barrier.wait()
        return services.factors.totp.verify(uid, code)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(attempt, range(4)))
    assert results.count(True) == 1


def test_removed_factor_no_longer_verifies(services, clock):
    uid = _user(services)
    totp = _enrol(services, uid)
    services.factors.totp.remove(uid, actor=uid)
    clock.advance(60)
    assert not services.factors.totp.verify(uid, totp.at(clock()))
    assert not services.factors.enrolled(uid)
