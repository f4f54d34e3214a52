"""The review's smaller findings, each as a user would meet it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from api.services import build_services
from tests.oidc_rp import authorize_url, code_flow, csrf_of, exchange, pkce, query_of, register

PASSWORD = "kata-sandi-rahasia"


def _admin_headers(web, services) -> dict[str, str]:
    ops = register(services, grant_types=["client_credentials"], scope="openid")
    services.clients.set_admin_role(ops.client_id, "national")
    r = web.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "satupintu:admin"},
        auth=(ops.client_id, ops.secret),
    )
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_a_failed_registration_keeps_the_initial_access_tokens_use(web, services):
    iat = services.registration.issue_initial_token(org_id=None, uses=1)
    h = {"Authorization": f"Bearer {iat}"}
    bad = web.post("/register", json={"redirect_uris": ["javascript:alert(1)"]}, headers=h)
    assert bad.status_code == 400
    good = web.post(
        "/register",
        json={"client_name": "Puskesmas", "redirect_uris": ["https://puskesmas.example/cb"]},
        headers=h,
    )
    assert good.status_code == 201, good.text
    again = web.post("/register", json={"redirect_uris": ["https://lagi.example/cb"]}, headers=h)
    assert again.status_code == 401  # still single use


def test_changing_sign_in_rules_keeps_a_first_party_app_first_party(web, services):
    services.users.create(username="sari", password=PASSWORD)
    client, _secret = services.clients.create(
        name="Portal Pemda",
        metadata={"redirect_uris": ["https://portal.example/cb"], "scope": "openid profile"},
        skip_consent=True,
    )
    services.clients.update(client.client_id, {"require_mfa": False})
    assert services.clients.require(client.client_id).metadata.get("skip_consent") is True
    r = web.patch(
        f"/api/v1/clients/{client.client_id}",
        json={"default_acr_values": ["urn:satupintu:acr:pwd"]},
        headers=_admin_headers(web, services),
    )
    assert r.status_code == 200 and r.json()["skip_consent"] is True
    assert services.clients.require(client.client_id).metadata["skip_consent"] is True


def test_the_language_cookie_is_secure_under_an_https_issuer(settings, clock):
    svc = build_services(settings.model_copy(update={"issuer": "https://sso.example.go.id"}), clock)
    svc.keys.ensure()
    try:
        with TestClient(create_app(svc.settings, svc), base_url="https://sso.example.go.id") as web:
            r = web.get("/lang?set=en&next=/login", follow_redirects=False)
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("satupintu_lang=en") and "Secure" in cookie
    finally:
        svc.close()


def test_revoking_an_app_withdraws_what_it_was_granted(web, services):
    """After "revoke" on the account page the app gets nothing silently with prompt=none."""
    services.users.create(username="tari", password=PASSWORD)
    c = register(services, scope="openid profile offline_access")
    cb, _, verifier = code_flow(web, c, "tari", PASSWORD, scope="openid profile offline_access")
    assert exchange(web, c, cb["code"], verifier).status_code == 200
    page = web.get("/account")
    assert c.client_id in page.text
    r = web.post(
        "/account/apps/revoke", data={"client_id": c.client_id, "csrf_token": csrf_of(page.text)}
    )
    assert r.status_code == 303
    url, _ = authorize_url(
        c, scope="openid profile offline_access", challenge=pkce()[1], prompt="none"
    )
    assert query_of(web.get(url).headers["location"]).get("error") == "consent_required"


def test_a_login_hint_is_stored_only_sealed(web, services):
    """A parked authorization request keeps the app's login_hint (a NIK, an email) sealed; the
    login page still shows it to the citizen."""
    from sqlalchemy import select

    from idp.oidc.models import Interaction

    c = register(services)
    url, _ = authorize_url(c, challenge=pkce()[1], login_hint="3201011501900001")
    location = web.get(url).headers["location"]
    with services.db() as s:
        stored = str(s.scalars(select(Interaction.params)).one())
    assert "3201011501900001" not in stored
    assert "3201011501900001" in web.get(location).text
