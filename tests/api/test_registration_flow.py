"""Self-registration: NIK + email + name + password, a verification link through the file
outbox, and no way to learn whether an NIK or email is already registered."""

from __future__ import annotations

import pytest

from tests.api.helpers_account import last_link, outbox, sign_in, submit

PASSWORD = "gunung-salak-berkabut"
NIK = "3273016303850002"


def register(web, **fields):
    data = {"nik": NIK, "email": "ratna@contoh.id", "name": "Ratna Sari", "password": PASSWORD}
    data.update(fields)
    return submit(web, "/signup", "/signup", data)


def test_register_verify_and_sign_in(web, services):
    r = register(web)
    assert r.status_code == 200 and "Periksa email Anda" in r.text
    # Not active yet: the right password gets a friendly "activate first" message.
    r = sign_in(web, NIK, PASSWORD)
    assert r.status_code == 403 and "belum aktif" in r.text
    link = last_link(services, "ratna@contoh.id")
    assert link.startswith("/verify-email?token=")
    mail = outbox(services)[-1]
    assert "Aktifkan" in mail["Subject"] and "Activate" in mail["Subject"]
    assert web.get(link).status_code == 200
    assert web.get(link).status_code == 400  # single use
    r = sign_in(web, NIK, PASSWORD)
    assert r.status_code == 303
    profile = services.users.profile(services.users.find_by_login("ratna@contoh.id"))
    assert profile.email_verified and profile.name == "Ratna Sari" and profile.nik == NIK


def test_verification_link_expires(web, services, clock):
    register(web)
    link = last_link(services, "ratna@contoh.id")
    clock.advance(services.settings.verify_email_ttl + 1)
    assert web.get(link).status_code == 400


@pytest.mark.parametrize(
    ("nik", "message"),
    [
        ("327301630385000", "16 digit"),
        ("9973016303850002", "kode provinsi"),
        ("3273013202850002", "tanggal lahir"),
        ("3273010000000000", "tanggal lahir"),
    ],
)
def test_invalid_nik_is_rejected_clearly(web, services, nik, message):
    r = register(web, nik=nik)
    assert r.status_code == 400 and message in r.text
    assert not services.mailer.directory.exists() or outbox(services) == []


def test_woman_day_plus_forty_is_accepted(web, services):
    # 67 in the day position: a woman born on the 27th.
    r = register(web, nik="3578106708010003", email="dewi@contoh.id")
    assert r.status_code == 200
    assert last_link(services, "dewi@contoh.id").startswith("/verify-email")


def test_blocklisted_password_is_rejected(web):
    r = register(web, password="password123")
    assert r.status_code == 400 and "terlalu umum" in r.text
    r = register(web, password="pendek")
    assert r.status_code == 400 and "minimal 8" in r.text


def test_existing_nik_or_email_gets_the_same_answer_and_the_owner_a_notice(web, services):
    services.users.create(
        username="ratna", password=PASSWORD, email="ratna@contoh.id", nik=NIK, email_verified=True
    )
    first = register(web, email="penyusup@contoh.id")
    second = register(web, nik="3578106708010003")  # the email is taken this time
    fresh = register(web, nik="3578106708010004", email="baru@contoh.id")
    assert first.status_code == second.status_code == fresh.status_code == 200
    assert first.text.count("Periksa email") == fresh.text.count("Periksa email")
    to = [m["To"] for m in outbox(services)]
    assert "penyusup@contoh.id" not in to
    assert to.count("ratna@contoh.id") == 2 and "baru@contoh.id" in to
    notice = next(m for m in outbox(services) if m["To"] == "ratna@contoh.id")
    assert "/password/forgot" in notice.get_content()
    assert services.users.find_by_login("penyusup@contoh.id") is None


def test_registration_form_needs_csrf(web):
    web.get("/signup")
    r = web.post("/signup", data={"nik": NIK, "email": "a@b.id", "name": "A", "password": "x"})
    assert r.status_code == 403


def test_registering_again_before_verifying_sends_a_new_link(web, services, clock):
    """A lost or expired activation email: the citizen registers again and gets a fresh link
    at the address on file (a visitor typing someone else's NIK gets nothing)."""
    register(web)
    first = last_link(services, "ratna@contoh.id")
    clock.advance(services.settings.verify_email_ttl + 1)
    again = register(web, email="lain@contoh.id")  # same NIK, another address
    assert again.status_code == 200 and "Periksa email" in again.text
    assert "lain@contoh.id" not in [m["To"] for m in outbox(services)]
    second = last_link(services, "ratna@contoh.id")
    assert second != first and second.startswith("/verify-email?token=")
    assert web.get(first).status_code == 400
    assert web.get(second).status_code == 200
    assert sign_in(web, NIK, PASSWORD).status_code == 303
