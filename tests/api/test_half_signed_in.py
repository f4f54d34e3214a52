"""The review's reproduction of "a password alone opens the account of a user who has a second
factor": the account page, its forms and consent, with what the password step gave the browser.
(tests/api/test_route_assurance.py walks every route the same way.)"""

from __future__ import annotations

from urllib.parse import urlencode

import pyotp

from tests.oidc_rp import authorize_url, csrf_of, register

PASSWORD = "kata-sandi-rahasia"
PERSONAL = {
    "nik": "3201011501900001",
    "email": "dewi.lestari@example.id",
    "phone": "+6281234567890",
}


def test_a_password_alone_opens_nothing_of_an_mfa_account(web, services, clock):
    user = services.users.create(username="dewi", password=PASSWORD, **PERSONAL)
    totp = pyotp.TOTP(services.factors.totp.begin(user.sub, "dewi").secret)
    clock.align()
    assert services.factors.totp.confirm(
        user.sub, totp.at(clock(), counter_offset=-1), actor=user.sub
    )
    page = web.get("/login")
    r = web.post(
        "/login",
        data={"username": "dewi", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/login/otp")
    account = web.get("/account")
    assert account.status_code == 303 and account.headers["location"].startswith("/login")
    for value in PERSONAL.values():
        assert value not in account.text
    r = web.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "kata-sandi-baru-sekali"},
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert services.users.verify_password(services.users.credentials("dewi"), PASSWORD)
    c = register(services)
    _url, params = authorize_url(c)
    r = web.get("/authorize?" + urlencode(params))
    assert r.headers["location"].startswith("/login?")
    assert services.consent.for_subject(user.sub) == []
