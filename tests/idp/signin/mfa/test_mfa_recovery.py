"""Recovery codes: ten, single use, stored keyed-hashed, regenerating kills the old ones."""

from __future__ import annotations

from sqlalchemy import select

from idp.signin.mfa.models import RecoveryCode


def test_codes_are_single_use_and_hashed(services):
    uid = services.users.create(username="ayu", password="kata-sandi-rahasia").sub
    codes = services.factors.recovery.generate(uid, actor=uid)
    assert len(codes) == 10 and len(set(codes)) == 10
    with services.db() as s:
        stored = list(s.scalars(select(RecoveryCode.code_hash)))
    assert all(c.replace("-", "") not in h for c in codes for h in stored)
    assert services.factors.recovery.use(uid, codes[3].upper().replace("-", " "))
    assert not services.factors.recovery.use(uid, codes[3]), "a used code worked twice"
    assert services.factors.recovery.remaining(uid) == 9
    assert not services.factors.recovery.use(uid, "aaaaa-bbbbb")


def test_codes_belong_to_one_user(services):
    a = services.users.create(username="ayu", password="kata-sandi-rahasia").sub
    b = services.users.create(username="bima", password="kata-sandi-rahasia").sub
    codes = services.factors.recovery.generate(a, actor=a)
    assert not services.factors.recovery.use(b, codes[0])
    assert services.factors.recovery.use(a, codes[0])


def test_regenerating_invalidates_old_codes(services):
    uid = services.users.create(username="ayu", password="kata-sandi-rahasia").sub
    old = services.factors.recovery.generate(uid, actor=uid)
    new = services.factors.recovery.generate(uid, actor=uid)
    assert not services.factors.recovery.use(uid, old[0])
    assert services.factors.recovery.use(uid, new[0])
    assert services.factors.recovery.remaining(uid) == 9
