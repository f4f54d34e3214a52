"""Token endpoint behaviour: codes, PKCE, refresh rotation and reuse, introspection, revocation."""

from __future__ import annotations

import pytest

from tests.oidc_rp import code_flow, exchange, register

PASSWORD = "kata-sandi-rahasia"


@pytest.fixture
def user(services):
    return services.users.create(
        username="siti", password=PASSWORD, email="siti@desa.id", name="Siti Aminah"
    )


def introspect(web, c, token):
    return web.post("/introspect", data={"token": token}, auth=(c.client_id, c.secret)).json()


def refresh(web, c, token):
    return web.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": token},
        auth=(c.client_id, c.secret),
    )


def test_reused_code_is_refused_and_revokes_its_tokens(web, services, user):
    c = register(services)
    cb, _, verifier = code_flow(web, c, "siti", PASSWORD)
    first = exchange(web, c, cb["code"], verifier)
    assert first.status_code == 200
    again = exchange(web, c, cb["code"], verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    tokens = first.json()
    assert introspect(web, c, tokens["access_token"]) == {"active": False}
    assert introspect(web, c, tokens["refresh_token"]) == {"active": False}
    assert refresh(web, c, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_pkce_verifier_missing_or_wrong(web, services, user):
    c = register(services)
    cb, _, _ = code_flow(web, c, "siti", PASSWORD)
    missing = exchange(web, c, cb["code"], None)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    cb, _, _verifier = code_flow(web, c, "siti", PASSWORD)
    wrong = exchange(web, c, cb["code"], "x" * 50)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"


def test_public_client_must_use_pkce(web, services, user):
    c = register(services, public=True)
    resp = web.get(
        "/authorize",
        params={
            "response_type": "code",
            "client_id": c.client_id,
            "redirect_uri": c.redirect_uri,
            "scope": "openid",
            "state": "s1",
        },
    )
    assert resp.status_code == 302
    assert "error=invalid_request" in resp.headers["location"]
    assert "state=s1" in resp.headers["location"]
    cb, _, verifier = code_flow(web, c, "siti", PASSWORD)
    assert exchange(web, c, cb["code"], verifier).status_code == 200


def test_plain_pkce_is_refused(web, services):
    c = register(services)
    resp = web.get(
        "/authorize",
        params={
            "response_type": "code",
            "client_id": c.client_id,
            "redirect_uri": c.redirect_uri,
            "scope": "openid",
            "code_challenge": "a" * 43,
            "code_challenge_method": "plain",
        },
    )
    assert resp.status_code == 302 and "error=invalid_request" in resp.headers["location"]


def test_expired_code_is_refused(web, services, user, clock):
    c = register(services)
    cb, _, verifier = code_flow(web, c, "siti", PASSWORD)
    clock.advance(61)
    assert exchange(web, c, cb["code"], verifier).json()["error"] == "invalid_grant"


def test_refresh_rotates_and_reuse_revokes_the_grant(web, services, user):
    c = register(services)
    cb, _, verifier = code_flow(web, c, "siti", PASSWORD)
    t0 = exchange(web, c, cb["code"], verifier).json()
    r1 = refresh(web, c, t0["refresh_token"])
    assert r1.status_code == 200, r1.text
    t1 = r1.json()
    assert t1["refresh_token"] != t0["refresh_token"] and "id_token" in t1
    # The rotated-out token comes back: someone copied it. Everything in the grant dies.
    reuse = refresh(web, c, t0["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    assert refresh(web, c, t1["refresh_token"]).json()["error"] == "invalid_grant"
    assert introspect(web, c, t1["access_token"]) == {"active": False}


def test_refresh_grace_window_allows_a_lost_response(settings, clock, backend, request):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.services import build_services

    settings.refresh_grace_seconds = 10
    svc = build_services(settings, clock=clock)
    app = create_app(settings, svc)
    svc.users.create(username="siti", password=PASSWORD)
    with TestClient(app, base_url="http://localhost:8000", follow_redirects=False) as web:
        c = register(svc)
        cb, _, verifier = code_flow(web, c, "siti", PASSWORD)
        t0 = exchange(web, c, cb["code"], verifier).json()
        assert refresh(web, c, t0["refresh_token"]).status_code == 200
        assert refresh(web, c, t0["refresh_token"]).status_code == 200  # within grace
        clock.advance(11)
        assert refresh(web, c, t0["refresh_token"]).json()["error"] == "invalid_grant"
    svc.close()


def test_no_refresh_token_without_offline_access(web, services, user):
    c = register(services)
    cb, _, verifier = code_flow(web, c, "siti", PASSWORD, scope="openid profile")
    body = exchange(web, c, cb["code"], verifier).json()
    assert "refresh_token" not in body and body["scope"] == "openid profile"


def test_introspection_and_revocation(web, services, user):
    c = register(services)
    other = register(services, name="Aplikasi Lain")
    cb, _, verifier = code_flow(web, c, "siti", PASSWORD)
    t = exchange(web, c, cb["code"], verifier).json()
    info = introspect(web, c, t["access_token"])
    assert info["active"] is True and info["client_id"] == c.client_id
    assert info["scope"] == "openid profile email offline_access"
    # Another client learns nothing about this token, and cannot revoke it.
    assert introspect(web, other, t["access_token"]) == {"active": False}
    r = web.post("/revoke", data={"token": t["access_token"]}, auth=(other.client_id, other.secret))
    assert r.status_code == 200
    assert introspect(web, c, t["access_token"])["active"] is True
    # The owner revokes it.
    r = web.post("/revoke", data={"token": t["access_token"]}, auth=(c.client_id, c.secret))
    assert r.status_code == 200
    assert introspect(web, c, t["access_token"]) == {"active": False}
    assert (
        web.get("/userinfo", headers={"Authorization": f"Bearer {t['access_token']}"}).status_code
        == 401
    )
    # Revoking the refresh token ends the grant.
    web.post(
        "/revoke",
        data={"token": t["refresh_token"], "token_type_hint": "refresh_token"},
        auth=(c.client_id, c.secret),
    )
    assert refresh(web, c, t["refresh_token"]).json()["error"] == "invalid_grant"


def test_introspection_needs_client_authentication(web, services):
    c = register(services)
    r = web.post("/introspect", data={"token": "x"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = web.post("/introspect", data={"token": "x"}, auth=(c.client_id, "wrong"))
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


def test_client_credentials_issues_rfc9068_jwt(web, services):
    from joserfc import jwt
    from joserfc.jwk import KeySet

    c = register(
        services,
        grant_types=["client_credentials"],
        scope="openid",
        redirect_uri="https://svc.example/cb",
    )
    services.clients.set_admin_role(c.client_id, "national")
    r = web.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "satupintu:admin"},
        auth=(c.client_id, c.secret),
    )
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert "refresh_token" not in r.json()
    decoded = jwt.decode(token, KeySet.import_key_set(web.get("/jwks.json").json()))
    assert decoded.header["typ"] == "at+jwt"
    claims = decoded.claims
    assert claims["sub"] == c.client_id and claims["client_id"] == c.client_id
    assert {"iss", "exp", "iat", "jti", "aud"} <= set(claims)


def test_client_secret_post_and_wrong_grant_type(web, services):
    c = register(
        services,
        grant_types=["client_credentials"],
        scope="profile",
        redirect_uri="https://svc.example/cb",
    )
    r = web.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": c.client_id,
            "client_secret": c.secret,
        },
    )
    assert r.status_code == 200
    r = web.post(
        "/token",
        data={"grant_type": "password", "username": "a", "password": "b"},
        auth=(c.client_id, c.secret),
    )
    assert r.json()["error"] == "unsupported_grant_type"
    r = web.post(
        "/token",
        data={"grant_type": "authorization_code", "code": "x"},
        auth=(c.client_id, c.secret),
    )
    assert r.json()["error"] == "unauthorized_client"
