"""The citizens' sign-up form is at /signup; /register is RFC 7591 dynamic client registration,
and sends a browser's old link or form post on to /signup with 308 (method and body kept)."""

from __future__ import annotations

import pytest

from tests.api.helpers_account import outbox
from tests.oidc_rp import csrf_of

NIK = "3273016303850002"
FIELDS = {"nik": NIK, "email": "ratna@contoh.id", "name": "Ratna Sari", "password": "x" * 20}


def test_an_old_link_to_the_sign_up_form_is_sent_to_signup_with_its_query(web):
    r = web.get("/register", params={"ui_locales": "en", "next": "/account"})
    assert r.status_code == 308
    assert r.headers["location"] == "/signup?ui_locales=en&next=%2Faccount"
    assert r.headers["content-type"].startswith("text/html")
    assert web.get("/register").headers["location"] == "/signup"
    page = web.get(r.headers["location"])
    assert page.status_code == 200 and 'action="/signup"' in page.text


def test_a_query_is_kept_safe_in_the_location(web):
    r = web.get('/register?a=<x>&b="y"')
    assert r.status_code == 308 and r.headers["location"] == "/signup?a=%3Cx%3E&b=%22y%22"


def test_a_form_posted_to_the_old_address_is_sent_on_with_its_method_and_body(web, services):
    page = web.get("/signup")
    body = {**FIELDS, "password": "gunung-salak-berkabut", "csrf_token": csrf_of(page.text)}
    r = web.post("/register?from=old", data=body)
    assert r.status_code == 308 and r.headers["location"] == "/signup?from=old"
    assert services.users.find_by_login("ratna@contoh.id") is None  # nothing done at /register
    # A client that follows the redirect posts the same form again: the sign-up is made.
    followed = web.post("/register", data=body, follow_redirects=True)
    assert followed.status_code == 200 and followed.url.path == "/signup"
    assert any(m["To"] == "ratna@contoh.id" for m in outbox(services))


def test_the_sign_up_form_posts_to_signup_and_the_login_page_links_there(web):
    login = web.get("/login").text
    assert 'href="/signup"' in login and 'href="/register"' not in login
    form = web.get("/signup").text
    assert 'action="/signup"' in form and "/register" not in form


def test_a_registration_management_call_is_not_redirected(web):
    r = web.get("/register", headers={"Authorization": "Bearer registration-access-token"})
    assert r.status_code == 405 and r.json()["error"] == "invalid_request"


def test_dynamic_client_registration_is_untouched(web, services):
    iat = services.registration.issue_initial_token(org_id=None)
    meta = {"client_name": "Portal", "redirect_uris": ["https://portal.example/cb"]}
    r = web.post("/register", json=meta, headers={"Authorization": f"Bearer {iat}"})
    assert r.status_code == 201, r.text
    assert r.json()["client_id"] and r.headers["cache-control"] == "no-store"
    assert services.clients.get(r.json()["client_id"]) is not None
    refused = web.post("/register", json=meta)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    text = web.post("/register", content=b"x", headers={"Content-Type": "text/plain"})
    assert text.status_code == 400 and text.json()["error"] == "invalid_client_metadata"


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe\x00garbage", b'{"grant_type": "client_credentials"}', b"[]", b"{"],
)
def test_malformed_json_at_register_gets_an_oauth_error(web, body):
    r = web.post("/register", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500 and "error" in r.json()
