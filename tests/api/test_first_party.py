"""First-party apps (`satupintu clients create --skip-consent`): no consent screen, so silent
SSO works at once; a self-registered client cannot give itself that privilege."""

from __future__ import annotations

from tests.oidc_rp import Registered, authorize_url, code_flow, login, pkce, query_of

PASSWORD = "kata-sandi-rahasia"


def test_operator_first_party_app_needs_no_consent(web, services):
    services.users.create(username="sari", password=PASSWORD)
    client, secret = services.clients.create(
        name="Portal Pemda",
        metadata={"redirect_uris": ["https://portal.example/cb"], "scope": "openid profile"},
        skip_consent=True,
    )
    c = Registered(client.client_id, secret, "https://portal.example/cb")
    cb, _, _ = code_flow(web, c, "sari", PASSWORD)  # fails if a consent page is shown
    assert "code" in cb
    url, _ = authorize_url(c, scope="openid profile", challenge=pkce()[1], prompt="none")
    assert "code" in query_of(web.get(url).headers["location"])


def test_self_registered_client_cannot_skip_consent(web, services):
    services.users.create(username="sari", password=PASSWORD)
    iat = services.registration.issue_initial_token(org_id=None)
    r = web.post(
        "/register",
        json={
            "client_name": "Nakal",
            "redirect_uris": ["https://nakal.example/cb"],
            "scope": "openid profile",
            "skip_consent": True,
        },
        headers={"Authorization": f"Bearer {iat}"},
    )
    assert r.status_code == 201, r.text
    assert "skip_consent" not in r.json()
    body = r.json()
    c = Registered(body["client_id"], body["client_secret"], "https://nakal.example/cb")
    url, _ = authorize_url(c, scope="openid profile", challenge=pkce()[1])
    signed_in = login(web, web.get(url).headers["location"], "sari", PASSWORD)
    resume = web.get(signed_in.headers["location"])
    assert resume.headers["location"].startswith("/consent?")
