"""The authorization endpoint: error pages, prompts, max_age, SSO, consent, subjects."""

from __future__ import annotations

import pytest

from tests.oidc_rp import (
    authorize_url,
    code_flow,
    exchange,
    follow_to_client,
    login,
    pkce,
    query_of,
    register,
    validate_id_token,
)

PASSWORD = "kata-sandi-rahasia"


@pytest.fixture
def user(services):
    return services.users.create(
        username="andi", password=PASSWORD, email="andi@kota.id", nik="3271012303850002"
    )


def test_unregistered_redirect_uri_shows_error_page(web, services):
    c = register(services)
    r = web.get(
        "/authorize",
        params={
            "response_type": "code",
            "client_id": c.client_id,
            "redirect_uri": "https://evil.example/cb",
            "scope": "openid",
        },
    )
    assert r.status_code == 400 and "location" not in r.headers
    assert "text/html" in r.headers["content-type"] and "invalid_request" in r.text


def test_unknown_client_shows_error_page(web):
    r = web.get(
        "/authorize",
        params={
            "response_type": "code",
            "client_id": "nope",
            "redirect_uri": "https://app.example/cb",
            "scope": "openid",
        },
    )
    assert r.status_code == 400 and "location" not in r.headers
    assert "invalid_client" in r.text


def test_error_page_in_english_with_ui_locales(web):
    r = web.get("/authorize", params={"client_id": "nope", "ui_locales": "en"})
    assert "Something went wrong" in r.text and r.headers["content-language"] == "en"
    r = web.get("/authorize", params={"client_id": "nope"})
    assert "Terjadi kesalahan" in r.text and r.headers["content-language"] == "id"


def test_prompt_none_without_session_is_login_required(web, services):
    c = register(services)
    url, params = authorize_url(c, challenge=pkce()[1], prompt="none")
    r = web.get(url)
    q = query_of(r.headers["location"])
    assert q["error"] == "login_required" and q["state"] == params["state"]
    assert q["iss"] == "http://localhost:8000"


def test_silent_sso_for_a_second_client(web, services, user):
    first, second = (
        register(services),
        register(services, name="Kedua", redirect_uri="https://dua.example/cb"),
    )
    code_flow(web, first, "andi", PASSWORD)
    services.consent.grant(
        user.sub, second.client_id, ["profile", "email", "offline_access"], evidence={}
    )
    verifier, challenge = pkce()
    url, params = authorize_url(second, challenge=challenge, prompt="none")
    r = web.get(url)
    cb = query_of(r.headers["location"])
    assert "code" in cb, cb
    tokens = exchange(web, second, cb["code"], verifier).json()
    claims = validate_id_token(web, tokens["id_token"], second, params["nonce"])
    # Same SSO session for both apps.
    assert claims["sid"] == services.sessions.for_user(user.sub)[0].sid


def test_prompt_none_without_consent_is_consent_required(web, services, user):
    first, second = register(services), register(services, name="Kedua")
    code_flow(web, first, "andi", PASSWORD)
    url, _ = authorize_url(second, challenge=pkce()[1], prompt="none")
    assert query_of(web.get(url).headers["location"])["error"] == "consent_required"


def test_consent_denied_returns_access_denied(web, services, user):
    c = register(services)
    url, params = authorize_url(c, challenge=pkce()[1])
    r = login(web, web.get(url).headers["location"], "andi", PASSWORD)
    cb = follow_to_client(web, r, approve=False)
    assert cb["error"] == "access_denied" and cb["state"] == params["state"]


def test_max_age_forces_reauthentication(web, services, user, clock):
    c = register(services)
    cb, _, verifier = code_flow(web, c, "andi", PASSWORD)
    first = validate_id_token(
        web, exchange(web, c, cb["code"], verifier).json()["id_token"], c, None
    )
    clock.advance(120)
    verifier, challenge = pkce()
    url, _ = authorize_url(c, challenge=challenge, max_age="60")
    r = web.get(url)
    assert r.headers["location"].startswith("/login?interaction=")
    cb = follow_to_client(web, login(web, r.headers["location"], "andi", PASSWORD))
    second = validate_id_token(
        web, exchange(web, c, cb["code"], verifier).json()["id_token"], c, None
    )
    assert second["auth_time"] >= first["auth_time"] + 120
    assert second["sid"] == first["sid"]  # same SSO session, re-authenticated


def test_max_age_within_limit_needs_no_login(web, services, user):
    c = register(services)
    code_flow(web, c, "andi", PASSWORD)
    url, _ = authorize_url(c, challenge=pkce()[1], max_age="3600")
    assert "code" in query_of(web.get(url).headers["location"])


def test_prompt_login_forces_reauthentication(web, services, user):
    c = register(services)
    code_flow(web, c, "andi", PASSWORD)
    url, _ = authorize_url(c, challenge=pkce()[1], prompt="login")
    r = web.get(url)
    assert r.headers["location"].startswith("/login?interaction=")
    cb = follow_to_client(web, login(web, r.headers["location"], "andi", PASSWORD))
    assert "code" in cb


def test_wrong_password_and_unknown_user_look_the_same(web, services, user):
    c = register(services)
    url, _ = authorize_url(c, challenge=pkce()[1])
    loc = web.get(url).headers["location"]
    wrong_pw = login(web, loc, "andi", "salah-sekali")
    unknown = login(web, loc, "tidak-ada", "salah-sekali")
    assert wrong_pw.status_code == unknown.status_code == 401
    assert "NIK/email/nama pengguna atau kata sandi salah" in wrong_pw.text
    assert wrong_pw.text.replace("andi", "").count("alert") == unknown.text.count("alert")


def test_login_by_nik(web, services, user):
    c = register(services)
    cb, _, _ = code_flow(web, c, "3271012303850002", PASSWORD)
    assert "code" in cb


def test_login_form_without_csrf_is_refused(web, services, user):
    r = web.post("/login", data={"username": "andi", "password": PASSWORD})
    assert r.status_code == 403 and "satupintu_session" not in r.cookies


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_id_token_algorithm_per_client(web, services, user, alg):
    from joserfc import jwt

    c = register(services, id_token_signed_response_alg=alg)
    cb, params, verifier = code_flow(web, c, "andi", PASSWORD)
    token = exchange(web, c, cb["code"], verifier).json()["id_token"]
    claims = validate_id_token(web, token, c, params["nonce"])
    assert jwt.decode(token, _jwks(web), algorithms=[alg]).header["alg"] == alg
    assert claims["amr"] == ["pwd"]


def _jwks(web):
    from joserfc.jwk import KeySet

    return KeySet.import_key_set(web.get("/jwks.json").json())


def test_pairwise_subjects_differ_between_sectors(web, services, user):
    a = register(services, subject_type="pairwise", redirect_uri="https://a.example/cb")
    b = register(services, subject_type="pairwise", redirect_uri="https://b.example/cb")
    subs = []
    for c in (a, b):
        cb, params, verifier = code_flow(web, c, "andi", PASSWORD)
        tokens = exchange(web, c, cb["code"], verifier).json()
        subs.append(validate_id_token(web, tokens["id_token"], c, params["nonce"])["sub"])
        info = web.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert info.json()["sub"] == subs[-1]
    assert subs[0] != subs[1] and user.sub not in subs


def test_oversized_parameter_gets_error_page(web, services):
    c = register(services)
    r = web.get("/authorize", params={"client_id": c.client_id, "state": "x" * 5000})
    assert r.status_code == 400 and "invalid_request" in r.text
