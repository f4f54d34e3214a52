"""The operators' admin API and Dynamic Client Registration (RFC 7591)."""

from __future__ import annotations

import pytest

from idp.errors import InvalidInput
from idp.oauth.models import ClientRecord
from tests.oidc_rp import Registered, code_flow, exchange, register, sign_in_and_read_claims

# Outbound URIs the guard blocks (the tests allow loopback only), and the address each names.
BLOCKED = [
    ("backchannel_logout_uri", "https://10.0.0.5/backchannel-logout", "10.0.0.5"),
    ("backchannel_logout_uri", "https://[64:ff9b::a00:5]/bc", "10.0.0.5"),  # NAT64
    ("jwks_uri", "https://[fec0::1]/jwks.json", "fec0::1"),
    ("jwks_uri", "https://169.254.169.254/latest/meta-data", "169.254.169.254"),
]


def admin_token(web, services) -> str:
    c = register(
        services,
        grant_types=["client_credentials"],
        scope="openid",
        redirect_uri="https://ops.example/cb",
    )
    services.clients.set_admin_role(c.client_id, "national")
    r = web.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "satupintu:admin"},
        auth=(c.client_id, c.secret),
    )
    return r.json()["access_token"]


def test_admin_api_creates_org_client_user(web, services):
    h = {"Authorization": f"Bearer {admin_token(web, services)}"}
    org = web.post("/api/v1/orgs", json={"name": "Dinas Sosial"}, headers=h)
    assert org.status_code == 201
    dup = web.post("/api/v1/orgs", json={"name": "Dinas Sosial"}, headers=h)
    assert dup.status_code == 409
    assert dup.headers["content-type"] == "application/problem+json"
    assert dup.json()["type"].endswith("/conflict")
    client = web.post(
        "/api/v1/clients",
        json={
            "name": "Bansos",
            "org": "Dinas Sosial",
            "redirect_uris": ["https://bansos.example/cb"],
            "scope": "openid profile offline_access",
        },
        headers=h,
    )
    assert client.status_code == 201 and client.json()["client_secret"]
    user = web.post(
        "/api/v1/users", json={"username": "joko", "password": "rahasia-sekali-1"}, headers=h
    )
    assert user.status_code == 201 and user.json()["sub"]
    listed = web.get("/api/v1/clients", headers=h).json()
    assert any(c["client_name"] == "Bansos" and "client_secret" not in c for c in listed)
    deleted = web.delete(f"/api/v1/clients/{client.json()['client_id']}", headers=h)
    assert deleted.status_code == 204


def test_admin_api_user_with_an_email_the_operator_verified(web, services):
    h = {"Authorization": f"Bearer {admin_token(web, services)}"}
    new = {"username": "rina", "password": "rahasia-sekali-1", "email": "rina@desa.id"}
    user = web.post("/api/v1/users", json={**new, "email_verified": True}, headers=h)
    assert user.status_code == 201, user.text
    info = sign_in_and_read_claims(web, register(services), "rina", "rahasia-sekali-1").userinfo
    assert info["email"] == "rina@desa.id" and info["email_verified"] is True
    said = services.audit.recent(type_prefix="user.verify_email")
    assert [e.subject for e in said] == [user.json()["sub"]]
    assert said[0].actor.startswith("client:")
    no_email = web.post(
        "/api/v1/users", json={"username": "ujang", "email_verified": True}, headers=h
    )
    assert no_email.status_code == 422


def test_admin_api_puts_scope_claims_in_id_tokens_and_takes_them_out(web, services):
    h = {"Authorization": f"Bearer {admin_token(web, services)}"}
    services.users.create(username="rina", password="rahasia-sekali-1", email="rina@desa.id")
    made = web.post(
        "/api/v1/clients",
        json={
            "name": "Bansos",
            "redirect_uris": ["https://bansos.example/cb"],
            "scope": "openid email",
            "id_token_scope_claims": True,
        },
        headers=h,
    ).json()
    c = Registered(made["client_id"], made["client_secret"], "https://bansos.example/cb")
    id_token = sign_in_and_read_claims(web, c, "rina", "rahasia-sekali-1", "openid email").id_token
    assert id_token["email"] == "rina@desa.id" and id_token["email_verified"] is False
    r = web.patch(
        f"/api/v1/clients/{c.client_id}", json={"id_token_scope_claims": False}, headers=h
    )
    assert r.status_code == 200 and r.json()["id_token_scope_claims"] is False
    id_token = sign_in_and_read_claims(web, c, "rina", "rahasia-sekali-1", "openid email").id_token
    assert "email" not in id_token


def test_admin_api_rejects_missing_or_weak_tokens(web, services):
    r = web.get("/api/v1/orgs")
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    services.users.create(username="warga", password="kata-sandi-rahasia")
    c = register(services)
    cb, _, verifier = code_flow(web, c, "warga", "kata-sandi-rahasia")
    user_token = exchange(web, c, cb["code"], verifier).json()["access_token"]
    r = web.get("/api/v1/orgs", headers={"Authorization": f"Bearer {user_token}"})
    assert r.status_code == 403


def test_admin_api_validation_errors_are_problem_json(web, services):
    h = {"Authorization": f"Bearer {admin_token(web, services)}"}
    r = web.post(
        "/api/v1/clients", json={"name": "X", "redirect_uris": ["http://evil.example/"]}, headers=h
    )
    assert r.status_code == 422 and r.json()["type"].endswith("/invalid_input")
    r = web.post(
        "/api/v1/users", content=b"{not json", headers={**h, "Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"


def test_admin_can_list_and_revoke_sessions(web, services):
    h = {"Authorization": f"Bearer {admin_token(web, services)}"}
    user = services.users.create(username="dewi", password="kata-sandi-rahasia")
    c = register(services)
    code_flow(web, c, "dewi", "kata-sandi-rahasia")
    sessions = web.get(f"/api/v1/users/{user.sub}/sessions", headers=h).json()
    assert len(sessions) == 1 and sessions[0]["clients"] == [c.client_id]
    assert web.delete(f"/api/v1/sessions/{sessions[0]['sid']}", headers=h).status_code == 204
    assert web.get(f"/api/v1/users/{user.sub}/sessions", headers=h).json() == []
    assert web.delete(f"/api/v1/sessions/{sessions[0]['sid']}", headers=h).status_code == 404


def test_dynamic_registration_needs_initial_access_token(web, services):
    meta = {
        "client_name": "Puskesmas",
        "redirect_uris": ["https://puskesmas.example/cb"],
        "token_endpoint_auth_method": "client_secret_basic",
    }
    r = web.post("/register", json=meta)
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    iat = services.registration.issue_initial_token(org_id=None)
    r = web.post("/register", json=meta, headers={"Authorization": f"Bearer {iat}"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["client_secret"] and body["redirect_uris"] == meta["redirect_uris"]
    assert services.clients.get(body["client_id"]) is not None
    # Single use.
    again = web.post("/register", json=meta, headers={"Authorization": f"Bearer {iat}"})
    assert again.status_code == 401


def test_registered_client_can_ask_for_scope_claims_in_id_tokens(web, services):
    services.users.create(username="rina", password="rahasia-sekali-1", email="rina@desa.id")
    iat = services.registration.issue_initial_token(org_id=None, uses=2)
    h = {"Authorization": f"Bearer {iat}"}
    meta = {"client_name": "Puskesmas", "redirect_uris": ["https://puskesmas.example/cb"]}
    body = web.post("/register", json={**meta, "id_token_scope_claims": True}, headers=h).json()
    assert body["id_token_scope_claims"] is True
    c = Registered(body["client_id"], body["client_secret"], "https://puskesmas.example/cb")
    id_token = sign_in_and_read_claims(web, c, "rina", "rahasia-sekali-1", "openid email").id_token
    assert id_token["email"] == "rina@desa.id"
    r = web.post("/register", json={**meta, "id_token_scope_claims": "yes"}, headers=h)
    assert r.status_code == 400 and r.json()["error"] == "invalid_client_metadata"


def test_dynamic_registration_rejects_bad_metadata(web, services):
    iat = services.registration.issue_initial_token(org_id=None, uses=5)
    h = {"Authorization": f"Bearer {iat}"}
    r = web.post("/register", json={"redirect_uris": ["javascript:alert(1)"]}, headers=h)
    assert r.status_code == 400 and r.json()["error"] == "invalid_redirect_uri"
    r = web.post(
        "/register",
        json={"redirect_uris": ["https://a.example/cb"], "grant_types": ["implicit"]},
        headers=h,
    )
    assert r.json()["error"] == "invalid_client_metadata"
    r = web.post("/register", content=b"[]", headers={**h, "Content-Type": "application/json"})
    assert r.json()["error"] == "invalid_client_metadata"


@pytest.mark.parametrize(("field", "uri", "address"), BLOCKED)
def test_admin_api_refuses_an_outbound_uri_the_guard_would_block(
    web, services, field, uri, address
):
    h = {"Authorization": f"Bearer {admin_token(web, services)}"}
    body = {"name": "Internal", "redirect_uris": ["https://internal.example/cb"], field: uri}
    if field == "jwks_uri":
        body["token_endpoint_auth_method"] = "private_key_jwt"
    r = web.post("/api/v1/clients", json=body, headers=h)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["type"].endswith("/invalid_client_metadata")
    assert uri in problem["detail"] and address in problem["detail"]
    assert "SATUPINTU_OUTBOUND_ALLOW_NETWORKS" in problem["detail"]
    assert [c.name for c in services.clients.list()] == ["Aplikasi Uji"]  # the admin's own
    denied = services.audit.recent(type_prefix="client.create")[0]
    assert denied.outcome == "denied" and uri in denied.detail["reason"]


@pytest.mark.parametrize(("field", "uri", "address"), BLOCKED)
def test_registration_refuses_an_outbound_uri_the_guard_would_block(
    web, services, field, uri, address
):
    iat = services.registration.issue_initial_token(org_id=None)
    body = {"client_name": "Internal", "redirect_uris": ["https://internal.example/cb"], field: uri}
    if field == "jwks_uri":
        body["token_endpoint_auth_method"] = "private_key_jwt"
    r = web.post("/register", json=body, headers={"Authorization": f"Bearer {iat}"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_client_metadata"
    said = r.json()["error_description"]
    assert uri in said and address in said and "SATUPINTU_OUTBOUND_ALLOW_NETWORKS" in said
    assert services.clients.list() == []


def test_changing_an_outbound_uri_is_checked_like_registering_it(services):
    c = register(services, backchannel_logout_uri="https://app.invalid/bc")
    with pytest.raises(InvalidInput, match=r"10\.0\.0\.5 is a private address"):
        services.clients.update(c.client_id, {"backchannel_logout_uri": "https://10.0.0.5/bc"})
    # A row stored before registration checked its URIs keeps working for other changes.
    with services.db.begin() as s:
        rec = s.get(ClientRecord, c.client_id)
        rec.client_metadata = {**rec.client_metadata, "backchannel_logout_uri": "https://10.0.0.5/"}
    updated = services.clients.update(c.client_id, {"require_mfa": True})
    assert updated.metadata["require_mfa"] and updated.backchannel_logout_uri == "https://10.0.0.5/"
