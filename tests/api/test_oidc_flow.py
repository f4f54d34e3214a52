"""The authorization code flow end to end through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.oidc_rp import (
    code_flow,
    exchange,
    register,
    sign_in_and_read_claims,
    validate_id_token,
)


def test_discovery_names_every_endpoint(web):
    meta = web.get("/.well-known/openid-configuration").json()
    assert meta["issuer"] == "http://localhost:8000"
    for key in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
    ):
        assert meta[key].startswith("http://localhost:8000/")
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert set(meta["id_token_signing_alg_values_supported"]) == {"RS256", "ES256", "EdDSA"}
    assert meta["authorization_response_iss_parameter_supported"] is True


def test_login_code_exchange_userinfo(web, services):
    services.users.create(
        username="budi",
        password="kata-sandi-rahasia",
        email="budi@desa.id",
        name="Budi Santoso",
        nik="3201011501900001",
    )
    c = register(services)
    cb, params, verifier = code_flow(web, c, "budi@desa.id", "kata-sandi-rahasia")
    assert cb["state"] == params["state"]
    assert cb["iss"] == "http://localhost:8000"
    token = exchange(web, c, cb["code"], verifier)
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["token_type"] == "Bearer" and "refresh_token" in body
    claims = validate_id_token(web, body["id_token"], c, params["nonce"])
    assert claims["amr"] == ["pwd"] and "sid" in claims and "auth_time" in claims
    info = web.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200
    assert info.json() == {
        "sub": claims["sub"],
        "name": "Budi Santoso",
        "email": "budi@desa.id",
        "email_verified": False,
        "preferred_username": "budi",
        "updated_at": info.json()["updated_at"],
    }


SCOPE_CLAIMS = {"name", "preferred_username", "updated_at", "email", "email_verified"}


def test_id_token_carries_the_granted_scopes_claims_only_for_a_client_that_asked(web, services):
    services.users.create(
        username="sari",
        password="kata-sandi-rahasia",
        email="sari@desa.id",
        email_verified=True,
        name="Sari Dewi",
        phone="+628123456789",
    )
    everything = "openid profile email phone offline_access"
    plain = register(services, scope=everything)
    signed = sign_in_and_read_claims(web, plain, "sari", "kata-sandi-rahasia", everything)
    assert signed.userinfo["email"] == "sari@desa.id"
    assert not (SCOPE_CLAIMS | {"phone_number"}) & set(signed.id_token)  # default: userinfo only

    asks = register(services, scope=everything, id_token_scope_claims=True)
    signed = sign_in_and_read_claims(web, asks, "sari", "kata-sandi-rahasia", everything)
    assert signed.userinfo["name"] == "Sari Dewi"
    assert signed.userinfo["phone_number"] == "+628123456789"
    assert {k: signed.id_token[k] for k in signed.userinfo} == signed.userinfo
    refreshed = web.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": signed.tokens["refresh_token"]},
        auth=(asks.client_id, asks.secret),
    )
    assert refreshed.status_code == 200, refreshed.text
    again = validate_id_token(web, refreshed.json()["id_token"], asks, None)
    assert again["email"] == "sari@desa.id" and again["name"] == "Sari Dewi"

    # Only what the scopes granted: here no profile, no phone.
    signed = sign_in_and_read_claims(web, asks, "sari", "kata-sandi-rahasia", "openid email")
    assert signed.id_token["email"] == "sari@desa.id" and signed.id_token["email_verified"] is True
    assert not {"name", "preferred_username", "phone_number"} & set(signed.id_token)
