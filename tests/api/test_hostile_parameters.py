"""Parameters an outside review sent that once answered a 500: non-ASCII redirect URIs,
characters no OAuth parameter may hold, Basic credentials that are not UTF-8, and
private_key_jwt clients whose keys cannot be had. Each gets the protocol's own answer."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from tests.oidc_rp import query_of, register

IDN_REDIRECT = "https://layanan.kabupatén.example/kembali/ąę"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _authorize(c, **params: str) -> str:
    query = {
        "response_type": "code",
        "client_id": c.client_id,
        "redirect_uri": c.redirect_uri,
        "scope": "openid",
        "state": "s1",
        **params,
    }
    return "/authorize?" + urlencode(query)


def _is_error_page(r) -> bool:
    return (
        r.status_code == 400
        and r.headers["content-type"].startswith("text/html")
        and "location" not in r.headers
        and "invalid_request" in r.text
    )


def test_an_internationalised_redirect_uri_is_matched_and_redirected_to_as_ascii(web, services):
    c = register(services, redirect_uri=IDN_REDIRECT)
    r = web.get(_authorize(c, prompt="none"))  # no session: login_required, sent back
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    assert location.isascii()
    parts = urlsplit(location)
    assert parts.path == "/kembali/%C4%85%C4%99"
    assert query_of(location)["error"] == "login_required"
    assert query_of(location)["state"] == "s1"


def test_a_non_ascii_form_token_is_an_expired_form_not_a_crash(web):
    page = web.get("/login")
    assert page.status_code == 200
    r = web.post("/login", data={"username": "warga", "password": "x", "csrf_token": "tokén"})
    assert r.status_code == 403 and "csrf" in r.text
