"""Signing in with a second factor through the HTTP pages: required by client or organisation,
TOTP / recovery code / passkey, replay, acr/amr/auth_time in the id_token, step-up, max_age."""

from __future__ import annotations

import pyotp
import pytest

from tests.oidc_rp import (
    Registered,
    authorize_url,
    csrf_of,
    exchange,
    follow_to_client,
    login,
    pkce,
    query_of,
    register,
    validate_id_token,
)
from tests.soft_authenticator import SoftAuthenticator

PASSWORD = "kata-sandi-rahasia"
MFA = "urn:satupintu:acr:mfa"
PWD = "urn:satupintu:acr:pwd"


@pytest.fixture
def user(services):
    return services.users.create(username="dewi", password=PASSWORD).sub


def enrol_totp(services, uid) -> pyotp.TOTP:
    e = services.factors.totp.begin(uid, "dewi")
    totp = pyotp.TOTP(e.secret)
    services.clock.align()
    assert services.factors.totp.confirm(
        uid, totp.at(services.clock(), counter_offset=-1), actor=uid
    )
    return totp


def start(web, c, **extra):
    verifier, challenge = pkce()
    url, params = authorize_url(c, challenge=challenge, **extra)
    return web.get(url), params, verifier


def submit_otp(web, location, code):
    page = web.get(location)
    assert page.status_code == 200, page.text
    return web.post(
        "/login/otp",
        data={
            "otp": code,
            "csrf_token": csrf_of(page.text),
            "interaction": query_of(location).get("interaction", ""),
            "next": query_of(location).get("next", ""),
        },
    )


def finish(web, c, resp, params, verifier):
    cb = follow_to_client(web, resp)
    token = exchange(web, c, cb["code"], verifier)
    assert token.status_code == 200, token.text
    return validate_id_token(web, token.json()["id_token"], c, params["nonce"])


def password_then(web, c, **extra):
    """Authorize and log in with the password; returns the next redirect and the request."""
    resp, params, verifier = start(web, c, **extra)
    assert resp.headers["location"].startswith("/login?")
    resp = login(web, resp.headers["location"], "dewi", PASSWORD)
    if resp.headers["location"].startswith("/authorize/resume"):
        resp = web.get(resp.headers["location"])
    return resp, params, verifier


def test_discovery_advertises_acr_values(web):
    meta = web.get("/.well-known/openid-configuration").json()
    assert meta["acr_values_supported"] == [PWD, MFA]


def test_required_mfa_with_totp_and_replay_fails(web, services, user, clock):
    totp = enrol_totp(services, user)
    c = register(services, require_mfa=True)
    clock.advance(60)
    resp, params, verifier = password_then(web, c)
    otp_page = resp.headers["location"]
    assert otp_page.startswith("/login/otp?interaction=")
    wrong = submit_otp(web, otp_page, "000000" if totp.at(clock()) != "000000" else "111111")
    assert wrong.status_code == 401 and "location" not in wrong.headers
    code = totp.at(clock())
    claims = finish(web, c, submit_otp(web, otp_page, code), params, verifier)
    assert claims["acr"] == MFA and claims["amr"] == ["pwd", "otp", "mfa"]
    assert abs(claims["auth_time"] - clock().timestamp()) < 5

    resp, _p, _v = password_then(web, c, prompt="login")
    replay = submit_otp(web, resp.headers["location"], code)
    assert replay.status_code == 401, "a TOTP code was accepted twice"


def test_recovery_code_works_once(web, services, user, clock):
    enrol_totp(services, user)
    codes = services.factors.recovery.generate(user, actor=user)
    c = register(services, require_mfa=True)
    resp, params, verifier = password_then(web, c)
    claims = finish(web, c, submit_otp(web, resp.headers["location"], codes[0]), params, verifier)
    assert claims["acr"] == MFA and claims["amr"] == ["pwd", "lookup", "mfa"]
    resp, _p, _v = password_then(web, c, prompt="login")
    again = submit_otp(web, resp.headers["location"], codes[0])
    assert again.status_code == 401, "a recovery code was accepted twice"


def _passkey_call(web, page_html, url, body):
    token = page_html.split('data-csrf="', 1)[1].split('"', 1)[0]
    return web.post(url, json=body, headers={"X-CSRF-Token": token})


def _register_passkey(services, uid) -> SoftAuthenticator:
    auth = SoftAuthenticator("http://localhost:8000")
    handle, options = services.factors.passkeys.registration_options(uid, "dewi")
    services.factors.passkeys.register(uid, handle, auth.create(options), "Ponsel")
    return auth


def test_required_mfa_with_passkey_as_second_factor(web, services, user):
    auth = _register_passkey(services, user)
    c = register(services, require_mfa=True)
    resp, params, verifier = password_then(web, c)
    location = resp.headers["location"]
    page = web.get(location)
    assert "Use a passkey" in page.text or "Gunakan passkey" in page.text
    iid = query_of(location)["interaction"]
    opts = _passkey_call(web, page.text, "/login/passkey/options", {"mode": "2fa"})
    assert opts.status_code == 200, opts.text
    body = {
        "mode": "2fa",
        "handle": opts.json()["handle"],
        "credential": auth.get(opts.json()["options"]),
        "interaction": iid,
    }
    done = _passkey_call(web, page.text, "/login/passkey/verify", body)
    assert done.status_code == 200, done.text
    resp = web.get(done.json()["redirect"])
    claims = finish(web, c, resp, params, verifier)
    assert claims["acr"] == MFA and claims["amr"] == ["pwd", "hwk", "mfa"]


def test_passwordless_passkey_sign_in(web, services, user):
    auth = _register_passkey(services, user)
    c = register(services, require_mfa=True)
    resp, params, verifier = start(web, c)
    location = resp.headers["location"]
    page = web.get(location)
    assert 'data-passkey="passwordless"' in page.text
    opts = _passkey_call(web, page.text, "/login/passkey/options", {"mode": "passwordless"})
    body = {
        "mode": "passwordless",
        "handle": opts.json()["handle"],
        "credential": auth.get(opts.json()["options"]),
        "interaction": query_of(location)["interaction"],
    }
    done = _passkey_call(web, page.text, "/login/passkey/verify", body)
    assert done.status_code == 200, done.text
    claims = finish(web, c, web.get(done.json()["redirect"]), params, verifier)
    assert claims["acr"] == MFA and claims["amr"] == ["hwk", "user", "mfa"]
    # The same assertion again (a replay) is refused: the challenge is gone.
    replay = _passkey_call(web, page.text, "/login/passkey/verify", body)
    assert replay.status_code == 422


def test_no_factor_enrolled_shows_enrol_page_and_no_code(web, services, user):
    org = services.orgs.create("Dinas Kesehatan")
    with services.db.begin() as s:
        from idp.accounts.models import Organisation

        s.get(Organisation, org.id).require_mfa = True
    client, _secret = services.clients.create(
        name="Aplikasi Dinkes",
        metadata={"redirect_uris": ["https://app.example/cb"], "scope": "openid"},
        org_id=org.id,
    )
    _verifier, challenge = pkce()
    c = Registered(client.client_id, None, "https://app.example/cb")
    url, _params = authorize_url(c, scope="openid", challenge=challenge)
    resp = login(web, web.get(url).headers["location"], "dewi", PASSWORD)
    page = web.get(resp.headers["location"])
    assert page.status_code == 403
    assert "/account/security" in page.text and "location" not in page.headers
    assert services.audit.recent(type_prefix="authorize.mfa_enrolment_required")


def test_step_up_asks_only_for_second_factor(web, services, user, clock):
    c = register(services)  # no MFA rule of its own
    resp, params, verifier = password_then(web, c)
    claims = finish(web, c, resp, params, verifier)
    assert claims["acr"] == PWD and claims["amr"] == ["pwd"]
    first_auth = claims["auth_time"]

    totp = enrol_totp(services, user)  # enrolled after signing in: session is password-only
    clock.advance(60)
    none = web.get(authorize_url(c, acr_values=MFA, prompt="none")[0])
    assert query_of(none.headers["location"])["error"] == "interaction_required"
    resp, params, verifier = start(web, c, acr_values=MFA)
    location = resp.headers["location"]
    assert location.startswith("/login/otp?"), "step-up asked for the password again"
    claims = finish(web, c, submit_otp(web, location, totp.at(clock())), params, verifier)
    assert claims["acr"] == MFA and claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["auth_time"] > first_auth

    # Already satisfied: straight back to the app, no page at all.
    resp, params, verifier = start(web, c, acr_values=MFA)
    assert resp.headers["location"].startswith("https://app.example/cb")


def test_max_age_forces_reauthentication(web, services, user, clock):
    c = register(services)
    resp, params, verifier = password_then(web, c)
    first = finish(web, c, resp, params, verifier)
    clock.advance(120)
    resp, params, verifier = start(web, c, max_age="60")
    assert resp.headers["location"].startswith("/login?"), "a stale session was accepted"
    resp = login(web, resp.headers["location"], "dewi", PASSWORD)
    claims = finish(web, c, resp, params, verifier)
    assert claims["auth_time"] >= first["auth_time"] + 120

    # With a second factor and a password session, max_age asks only for the second factor.
    totp = enrol_totp(services, user)
    clock.advance(120)
    resp, params, verifier = start(web, c, max_age="60")
    location = resp.headers["location"]
    assert location.startswith("/login/otp?")
    claims = finish(web, c, submit_otp(web, location, totp.at(clock())), params, verifier)
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert abs(claims["auth_time"] - clock().timestamp()) < 5


def test_guessing_second_factor_codes_is_slowed(web, services, user, clock):
    """Six digits fall to guessing without a limit: after the free failures each guess waits,
    a guess inside the wait is refused unchecked (even the right code), and the owner's code
    works once the wait has passed."""
    totp = enrol_totp(services, user)
    c = register(services, require_mfa=True)
    clock.advance(60)
    resp, params, verifier = password_then(web, c)
    otp_page = resp.headers["location"]
    wrong = "000000" if totp.at(clock()) != "000000" else "111111"
    free = services.settings.login_free_failures
    assert [submit_otp(web, otp_page, wrong).status_code for _ in range(free)] == [401] * free
    refused = submit_otp(web, otp_page, totp.at(clock()))
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    clock.advance(int(refused.headers["retry-after"]))
    claims = finish(web, c, submit_otp(web, otp_page, totp.at(clock())), params, verifier)
    assert claims["amr"] == ["pwd", "otp", "mfa"]


def test_operators_require_mfa_through_the_admin_api(web, services, user, clock):
    """PATCH /api/v1/clients/{id} (and /orgs/{ref}) set the sign-in rules the CLI sets."""
    from tests.api.test_admin_and_registration import admin_token

    h = {"Authorization": f"Bearer {admin_token(web, services)}"}
    c = register(services)
    r = web.patch(f"/api/v1/clients/{c.client_id}", json={"require_mfa": True}, headers=h)
    assert r.status_code == 200, r.text
    enrol_totp(services, user)
    clock.advance(60)
    resp, _params, _verifier = password_then(web, c)
    assert resp.headers["location"].startswith("/login/otp?"), "MFA rule not applied"
    bad = web.patch(f"/api/v1/clients/{c.client_id}", json={"require_mfa": "ya"}, headers=h)
    assert bad.status_code == 422 and "Traceback" not in bad.text
    assert web.patch("/api/v1/clients/nope", json={}, headers=h).status_code == 404
    services.orgs.create("Dinas Sosial")
    org = web.patch("/api/v1/orgs/Dinas Sosial", json={"require_mfa": True}, headers=h)
    assert org.status_code == 200 and org.json()["require_mfa"] is True
    assert web.patch("/api/v1/clients/x", json={"require_mfa": True}).status_code == 401
