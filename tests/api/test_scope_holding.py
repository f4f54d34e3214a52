"""Every grant issues only the scopes the client is registered for (RFC 6749 §3.3), and the
privileged admin scope is granted by an operator, never requested (RFC 7591 §2)."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.errors import InvalidInput
from tests.oidc_rp import code_flow, exchange, register

PASSWORD = "kata-sandi-rahasia"


def _claims(web, token: str) -> dict:
    return jwt.decode(token, KeySet.import_key_set(web.get("/jwks.json").json())).claims


def _service_client(services, scope: str = "openid"):
    return register(
        services, grant_types=["client_credentials"], scope=scope, redirect_uri="https://s.ex/cb"
    )


@pytest.mark.parametrize("asked", ["satupintu:admin", "profile", "openid satupintu:admin"])
def test_client_credentials_refuses_a_scope_the_client_is_not_registered_for(web, services, asked):
    c = _service_client(services, "openid")
    r = web.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": asked},
        auth=(c.client_id, c.secret),
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
    assert "access_token" not in r.json()


def test_client_credentials_issues_its_registered_scope(web, services):
    c = _service_client(services, "openid email")
    r = web.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "email"},
        auth=(c.client_id, c.secret),
    )
    assert r.status_code == 200 and r.json()["scope"] == "email"
    assert _claims(web, r.json()["access_token"])["scope"] == "email"


def test_authorization_code_holds_the_scope_to_the_registration(web, services):
    services.users.create(username="sari", password=PASSWORD, email="sari@example.id")
    c = register(services, scope="openid profile")
    cb, _, verifier = code_flow(
        web, c, "sari", PASSWORD, scope="openid profile email offline_access satupintu:admin"
    )
    body = exchange(web, c, cb["code"], verifier).json()
    assert set(body["scope"].split()) == {"openid", "profile"}
    assert "refresh_token" not in body  # offline_access was not registered
    assert set(_claims(web, body["access_token"])["scope"].split()) == {"openid", "profile"}
    info = web.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert "email" not in info.json()


def test_refresh_is_held_to_the_scope_registered_now(web, services):
    services.users.create(username="tono", password=PASSWORD, email="tono@example.id")
    c = register(services, scope="openid email offline_access")
    cb, _, verifier = code_flow(web, c, "tono", PASSWORD, scope="openid email offline_access")
    first = exchange(web, c, cb["code"], verifier).json()
    # The operator narrows what the app may hold: its next refresh holds no more.
    services.clients.update(c.client_id, {"scope": "openid offline_access"})
    r = web.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(c.client_id, c.secret),
    )
    assert r.status_code == 200, r.text
    assert set(r.json()["scope"].split()) == {"openid", "offline_access"}
    assert "email" not in _claims(web, r.json()["access_token"])["scope"].split()


def test_a_user_token_never_carries_the_admin_scope(web, services):
    """Even an admin client's users do not become administrators by signing in to it."""
    services.users.create(username="wati", password=PASSWORD)
    c = register(services, scope="openid", grant_types=["authorization_code", "client_credentials"])
    services.clients.set_admin_role(c.client_id, "national")
    cb, _, verifier = code_flow(web, c, "wati", PASSWORD, scope="openid satupintu:admin")
    token = exchange(web, c, cb["code"], verifier).json()["access_token"]
    assert "satupintu:admin" not in _claims(web, token)["scope"].split()
    r = web.get("/api/v1/orgs", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403


@pytest.mark.parametrize("scope", ["openid satupintu:admin", "satupintu:admin", "openid rahasia"])
def test_registration_refuses_privileged_and_unknown_scopes(web, services, scope):
    iat = services.registration.issue_initial_token(org_id=None)
    meta = {
        "client_name": "Penyusup",
        "grant_types": ["client_credentials"],
        "scope": scope,
    }
    r = web.post("/register", json=meta, headers={"Authorization": f"Bearer {iat}"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_client_metadata"
    assert services.clients.list() == []


def test_metadata_cannot_carry_the_admin_scope(services):
    with pytest.raises(InvalidInput, match="admin"):
        services.clients.create(
            name="X", metadata={"grant_types": ["client_credentials"], "scope": "satupintu:admin"}
        )
    c = _service_client(services)
    with pytest.raises(InvalidInput, match="admin"):
        services.clients.update(c.client_id, {"scope": "openid satupintu:admin"})
