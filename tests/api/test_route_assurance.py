"""A password alone opens nothing of an account that has a second factor.

After the right password, a user with a second factor holds a sign-in whose second factor is
due: not a session. Every route of the app is called with it — as its own cookie and under the
session cookie's name, with valid CSRF tokens, as the user who knows the password but not the
code would — and only the second-factor step opens."""

from __future__ import annotations

import hashlib
import hmac

import pyotp
import pytest

from api.assurance import Assurance, declared
from api.web.csrf import COOKIE as CSRF_COOKIE
from tests.oidc_rp import authorize_url, csrf_of, pkce, query_of, register
from tests.routes import http_routes

PASSWORD = "kata-sandi-rahasia"
PERSONAL = {
    "nik": "3201011501900001",
    "email": "dewi.lestari@example.id",
    "phone": "+6281234567890",
    "name": "Dewi Lestari",
}
# Served by FastAPI itself: the OpenAPI document and its viewer read no session.
FRAMEWORK = {"/api/v1/openapi.json", "/api/docs", "/docs/oauth2-redirect"}
REFUSING = {Assurance.SESSION, Assurance.MFA_SESSION}


@pytest.fixture
def half_signed_in(web, services, clock):
    """A user with an authenticator app who has given the right password, and nothing more."""
    user = services.users.create(username="dewi", password=PASSWORD, **PERSONAL)
    enrolment = services.factors.totp.begin(user.sub, "dewi")
    totp = pyotp.TOTP(enrolment.secret)
    clock.align()
    assert services.factors.totp.confirm(
        user.sub, totp.at(clock(), counter_offset=-1), actor=user.sub
    )
    clock.advance(60)
    return user, totp, _password_step(web, services)


def _password_step(web, services) -> str:
    page = web.get("/login")
    r = web.post(
        "/login",
        data={"username": "dewi", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/login/otp")
    pending = r.cookies.get(services.settings.signin_cookie_name)
    assert pending, "the password step gives a sign-in cookie"
    assert services.settings.cookie_name not in r.cookies, "no session before the second factor"
    return pending


def _csrf(services, bid: str, purpose: str) -> str:
    return hmac.new(services.csrf_key, f"{bid}:{purpose}".encode(), hashlib.sha256).hexdigest()


def _purpose(path: str) -> str:
    for prefix, purpose in (
        ("/account/security", "security"),
        ("/account", "account"),
        ("/consent", "consent"),
        ("/logout", "logout"),
        ("/password/forgot", "forgot"),
        ("/password/reset", "reset"),
        ("/signup", "register"),
        ("/register", "register"),
        ("/login/otp", "otp"),
    ):
        if path.startswith(prefix):
            return purpose
    return "login"


def test_every_route_refuses_a_sign_in_whose_second_factor_is_due(
    web, services, app, clock, half_signed_in
):
    user, totp, pending = half_signed_in
    c = register(services)
    _v, challenge = pkce()
    authorize, params = authorize_url(c, challenge=challenge)
    parked = web.get(authorize)
    iid = query_of(parked.headers["location"])["interaction"]
    bid = web.cookies.get(CSRF_COOKIE)
    values = {
        "client_id": c.client_id,
        "sub": user.sub,
        "sid": "00000000-0000-0000-0000-000000000000",
        "passkey_id": "1",
        "ref": "x",
    }
    jar = {
        CSRF_COOKIE: bid,
        services.settings.signin_cookie_name: pending,
        services.settings.cookie_name: pending,  # as if swapped into the session's name
    }
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    wrong: list[str] = []
    seen = 0
    for method, path, endpoint in http_routes(app):
        if path in FRAMEWORK or path.startswith("/static"):
            continue
        level = declared(endpoint)
        if level is None:
            wrong.append(f"{method} {path}: declares no assurance")
            continue
        if level is Assurance.SECOND_FACTOR:
            continue  # the one step it opens (checked below)
        url = path.format(**values)
        purpose = _purpose(url)
        form = {
            "csrf_token": _csrf(services, bid, purpose),
            "interaction": iid,
            "decision": "approve",
            "current_password": PASSWORD,
            "new_password": "kata-sandi-baru-sekali",
            "sid": values["sid"],
            "client_id": c.client_id,
            "code": totp.at(clock()),
            "confirm": "yes",
        }
        headers = {"Cookie": cookie, "X-CSRF-Token": _csrf(services, bid, "passkey")}
        if url == "/authorize":
            url = authorize
        elif url == "/authorize/resume":
            url = f"/authorize/resume?interaction={iid}"
        web.cookies.clear()
        if method == "GET":
            r = web.get(url, headers=headers)
        elif path == "/authorize":
            r = web.post("/authorize", data=params, headers=headers)
        elif url.startswith("/account/security/passkeys"):
            r = web.request(method, url, json={"name": "x"}, headers=headers)
        else:
            r = web.request(method, url, data=form, headers=headers)
        seen += 1
        where = f"{method} {path} ({level}): {r.status_code}"
        if r.status_code >= 500:
            wrong.append(f"{where} server error")
        leaked = [k for k, v in PERSONAL.items() if v in r.text]
        if leaked:
            wrong.append(f"{where} shows {leaked}")
        location = r.headers.get("location", "")
        if location.startswith(c.redirect_uri) and "code=" in location:
            wrong.append(f"{where} issued an authorization code")
        if level in REFUSING:
            refused = 400 <= r.status_code < 500 or (
                r.status_code in (302, 303) and location.startswith("/login")
            )
            if not refused:
                wrong.append(f"{where} did not refuse ({location or r.text[:80]})")
        asks_login = location.startswith("/login?")
        if level is Assurance.OPTIONAL_SESSION and path.startswith("/authorize") and not asks_login:
            wrong.append(f"{where} did not ask for a login ({location})")
    assert seen > 20
    assert not wrong, "\n".join(wrong)
    # Nothing was done in the user's name.
    assert services.users.verify_password(services.users.credentials("dewi"), PASSWORD)
    assert services.consent.for_subject(user.sub) == []
    assert services.sessions.for_user(user.sub) == []
    assert services.tokens.grants_for_user(user.sub) == []
    # The second factor opens what the password alone did not: the walk was not vacuous.
    # (The walk's logout ended the first sign-in: this is a new one.)
    web.cookies.clear()
    pending = _password_step(web, services)
    bid = web.cookies.get(CSRF_COOKIE)
    code = totp.at(clock())
    r = web.post(
        "/login/otp",
        data={"otp": code, "csrf_token": _csrf(services, bid, "otp")},
        headers={
            "Cookie": f"{CSRF_COOKIE}={bid}; {services.settings.signin_cookie_name}={pending}"
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/", r.text
    assert PERSONAL["nik"] in web.get("/account").text
    # ...and the sign-in cookie is used up with it.
    assert services.pending_signins.lookup(pending) is None
