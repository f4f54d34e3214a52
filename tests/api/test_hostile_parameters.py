"""Parameters an outside review sent that once answered a 500: non-ASCII redirect URIs,
characters no OAuth parameter may hold, Basic credentials that are not UTF-8, and
private_key_jwt clients whose keys cannot be had. Each gets the protocol's own answer."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

import pytest

from tests.api.raw_asgi import request
from tests.api.test_private_key_jwt import _key, _register, assertion
from tests.oidc_rp import query_of, register

IDN_REDIRECT = "https://layanan.kabupatén.example/kembali/ąę"
# RFC 6749 §4.1.2.1 and §5.2: the characters an error_description may hold.
RFC_DESCRIPTION = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")
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


def test_an_unregistered_non_ascii_redirect_uri_gets_the_error_page(web, services):
    c = register(services, redirect_uri=IDN_REDIRECT)
    r = web.get(_authorize(c, redirect_uri=IDN_REDIRECT + "x"))
    assert _is_error_page(r)


@pytest.mark.parametrize(
    "params",
    [
        {"redirect_uri": "https://app.example/cb\t"},
        {"redirect_uri": 'https://app.example/cb"'},
        {"redirect_uri": "https://app.example/cb\x01"},
        {"response_type": "code\t", "redirect_uri": "https://other.example/cb"},
        {"client_id": "abc\x00"},
    ],
    ids=["redirect-tab", "redirect-quote", "redirect-control", "type-tab-untrusted", "id-nul"],
)
def test_forbidden_characters_with_an_untrusted_redirect_uri_get_the_error_page(
    web, services, params
):
    c = register(services)
    assert _is_error_page(web.get(_authorize(c, **params)))


@pytest.mark.parametrize(
    "params",
    [
        {"response_type": 'co"de'},
        {"response_type": "code\t"},
        {"response_type": "cödé"},
        {"scope": "openid\x7fprofile"},
        {"state": "s\x00"},
        {"nonce": "n\r\nSet-Cookie: x=1"},
    ],
    ids=["type-quote", "type-tab", "type-non-ascii", "scope-del", "state-nul", "nonce-crlf"],
)
def test_forbidden_characters_with_a_trusted_redirect_uri_go_back_as_invalid_request(
    web, services, params
):
    c = register(services)
    r = web.get(_authorize(c, **params))
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    assert location.startswith(c.redirect_uri + "?") and location.isascii()
    assert not any(ch in location for ch in '\t\r\n\x00"')
    assert query_of(location)["error"] == "invalid_request"
    assert query_of(location)["iss"] == "http://localhost:8000"


def test_a_malformed_grant_type_is_an_invalid_request_that_does_not_repeat_it(web):
    r = web.post("/token", data={"grant_type": 'client_credentials"\t<b>'})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    assert RFC_DESCRIPTION.fullmatch(r.json()["error_description"])


@pytest.mark.parametrize("path", ["/token", "/introspect", "/revoke"])
@pytest.mark.parametrize(
    "authorization",
    [b"Basic //46eA==", b"Basic \xff\xfe"],
    ids=["base64-of-non-utf8", "not-ascii"],  # //46eA== is base64 of ff fe 3a 78
)
def test_basic_credentials_that_are_not_base64_of_utf8_are_an_invalid_client(
    web, path, authorization
):
    r = web.post(
        path,
        data={"grant_type": "client_credentials", "token": "x"},
        headers={"Authorization": authorization},
    )
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_client"
    assert r.headers["www-authenticate"].lower().startswith("basic")


def _assertion_token_request(web, client_id: str, key) -> object:
    return web.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion(key, client_id),
        },
    )


def test_a_client_assertion_for_a_client_without_keys_is_an_invalid_client(web, services):
    key, _public = _key()
    c = register(services, grant_types=["client_credentials"], scope="profile")
    r = _assertion_token_request(web, c.client_id, key)
    assert r.status_code in (400, 401) and r.json()["error"] == "invalid_client", r.text


def test_a_private_key_jwt_client_whose_jwks_uri_is_down_is_an_invalid_client(web, services):
    key, _public = _key()
    c = _register(services, jwks_uri="http://127.0.0.1:9/jwks")  # discard port: refused
    r = _assertion_token_request(web, c.client_id, key)
    assert r.status_code in (400, 401) and r.json()["error"] == "invalid_client", r.text


@pytest.mark.parametrize(
    "jwks",
    [
        {"keys": "x"},
        {"keys": [{"kty": "EC"}]},
        {"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]},
    ],
    ids=["not-a-list", "incomplete-key", "bad-rsa-key"],
)
def test_a_private_key_jwt_client_whose_jwks_are_not_keys_is_an_invalid_client(web, services, jwks):
    key, _public = _key()
    c = _register(services, jwks=jwks)
    r = _assertion_token_request(web, c.client_id, key)
    assert r.status_code in (400, 401) and r.json()["error"] == "invalid_client", r.text


@pytest.mark.parametrize(
    "path,kind",
    [("/authorize", "text/html"), ("/token", "application/json"), ("/nowhere", "text/html")],
)
def test_a_query_string_that_is_not_utf8_gets_the_endpoints_own_answer(web, path, kind):
    # Browsers percent-encode; a raw 0x80 in the request line reaches ASGI as it is.
    method = "POST" if path == "/token" else "GET"
    a = request(web, method, path, query=b"client_id=\x80\xff", headers=[(b"accept", b"*/*")])
    assert a.raised is None and 400 <= a.status < 500, a.describe()
    assert a.media == kind, a.describe()


@pytest.mark.parametrize("authorization", [b"Basic ", b" ", b"Bearer "])
def test_an_authorization_header_with_a_scheme_and_no_credentials_is_an_invalid_client(
    web, authorization
):
    a = request(
        web,
        "POST",
        "/introspect",
        headers=[(b"authorization", authorization), (b"content-type", b"text/plain")],
    )
    assert a.raised is None and a.status == 401, a.describe()
    assert a.json()["error"] == "invalid_client"


def test_a_nul_in_an_account_form_gets_the_form_error_page(web, services):
    """PostgreSQL refuses NUL in text: the value cannot be stored, so the form was bad."""
    services.users.create(username="dewi", password="kata-sandi-rahasia")
    page = web.get("/login")
    web.post(
        "/login",
        data={"username": "dewi", "password": "kata-sandi-rahasia", "csrf_token": _csrf(page)},
    )
    account = web.get("/account")
    r = web.post(
        "/account/apps/revoke", data={"client_id": "app\x00", "csrf_token": _csrf(account)}
    )
    assert r.status_code in (303, 400), r.text
    assert r.status_code == 303 or r.headers["content-type"].startswith("text/html")


def _csrf(page) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:300]
    return found.group(1)
