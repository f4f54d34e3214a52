"""/account/security: needs a session, enrols TOTP with QR + secret, shows recovery codes once,
and removing a factor needs a fresh second-factor check. Every change is audited."""

from __future__ import annotations

import re

import pyotp

from tests.api.helpers_account import outbox
from tests.oidc_rp import csrf_of

PASSWORD = "kata-sandi-rahasia"


def _sign_in(web, services):
    uid = services.users.create(username="rahmat", password=PASSWORD, email="rahmat@example.id").sub
    page = web.get("/login")
    r = web.post(
        "/login",
        data={"username": "rahmat", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 303
    return uid


def test_requires_a_session(web):
    r = web.get("/account/security")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/account/security"


def test_enrol_totp_codes_once_and_remove_after_step_up(web, services, clock):
    uid = _sign_in(web, services)
    page = web.get("/account/security?ui_locales=en")
    assert page.status_code == 200 and "Set up an authenticator app" in page.text
    enrol = web.post("/account/security/totp/start", data={"csrf_token": csrf_of(page.text)})
    assert enrol.status_code == 200 and "data:image/svg+xml;charset=utf-8," in enrol.text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', enrol.text).group(1)
    totp = pyotp.TOTP(secret)
    bad = web.post(
        "/account/security/totp/confirm", data={"csrf_token": csrf_of(enrol.text), "otp": "12"}
    )
    assert bad.status_code == 400 and not services.factors.totp.enrolled(uid)
    done = web.post(
        "/account/security/totp/confirm",
        data={"csrf_token": csrf_of(enrol.text), "otp": totp.at(clock())},
    )
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", done.text)
    assert len(codes) == 10
    assert services.factors.recovery.use(uid, codes[0])
    security = web.get("/account/security")
    assert codes[1] not in security.text  # shown once only

    clock.advance(600)  # the second-factor check is now too old to remove a factor
    removed = web.post("/account/security/totp/remove", data={"csrf_token": csrf_of(security.text)})
    assert removed.headers["location"].startswith("/login/otp?next=/account/security")
    assert services.factors.totp.enrolled(uid)
    otp_page = web.get(removed.headers["location"])
    ok = web.post(
        "/login/otp",
        data={
            "otp": totp.at(clock()),
            "csrf_token": csrf_of(otp_page.text),
            "next": "/account/security",
        },
    )
    assert ok.headers["location"] == "/account/security"
    security = web.get("/account/security")
    removed = web.post("/account/security/totp/remove", data={"csrf_token": csrf_of(security.text)})
    assert removed.headers["location"] == "/account/security?done=removed"
    assert not services.factors.enrolled(uid) and services.factors.recovery.remaining(uid) == 0
    types = {e.type for e in services.audit.recent(type_prefix="mfa.", subject=uid)}
    assert {
        "mfa.totp.enrol",
        "mfa.recovery.generate",
        "mfa.recovery.use",
        "mfa.totp.remove",
    } <= types
    # The owner hears of each change: enrolment and removal.
    notices = [
        m
        for m in outbox(services)
        if m["To"] == "rahmat@example.id" and "sign-in methods" in m.get_content()
    ]
    assert len(notices) == 2


def test_password_only_session_of_enrolled_user_must_step_up(web, services):
    uid = _sign_in(web, services)
    services.factors.totp.provision(uid, "rahmat", actor="operator")
    r = web.get("/account/security")
    assert r.status_code == 303 and r.headers["location"].startswith("/login/otp")


def test_pages_in_both_languages(web, services):
    _sign_in(web, services)
    id_page = web.get("/account/security?ui_locales=id")
    en_page = web.get("/account/security?ui_locales=en")
    assert "Keamanan masuk" in id_page.text and "Sign-in security" in en_page.text
