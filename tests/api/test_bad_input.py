"""Bad input on every endpoint gets the RFC error or problem JSON — never a 500."""

from __future__ import annotations

import re

import pytest

from tests.oidc_rp import register

POST_ENDPOINTS = [
    "/token",
    "/introspect",
    "/revoke",
    "/userinfo",
    "/signup",
    "/login",
    "/consent",
    "/logout",
    "/authorize",
]


@pytest.mark.parametrize("path", POST_ENDPOINTS)
@pytest.mark.parametrize(
    "body,ctype",
    [
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
        (b'{"grant_type": "client_credentials"}', "application/json"),
        (b"a=" + b"b" * 70_000, "application/x-www-form-urlencoded"),
        (
            b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--x--",
            "multipart/form-data; boundary=x",
        ),
        (b"&".join(b"k%d=v" % i for i in range(500)), "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_posts_never_500(web, path, body, ctype):
    r = web.post(path, content=body, headers={"Content-Type": ctype})
    assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:200])


def test_token_endpoint_errors_are_rfc6749(web, services):
    c = register(services)
    cases = [
        ({}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code"}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "x" * 5000}, "invalid_grant"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "nope"}, "invalid_grant"),
    ]
    for data, error in cases:
        r = web.post("/token", data=data, auth=(c.client_id, c.secret))
        assert r.status_code in (400, 401), (data, r.text)
        assert r.json()["error"] == error, (data, r.text)
        assert r.headers["cache-control"] == "no-store"
    r = web.post("/token", data={"grant_type": "client_credentials"}, auth=("nobody", "x"))
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert r.headers.get("www-authenticate", "").lower().startswith("basic")


def test_userinfo_rejects_bad_tokens(web):
    for header in (
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer abc.def.ghi"},
        {"Authorization": "Basic Zm9vOmJhcg=="},
    ):
        r = web.get("/userinfo", headers=header)
        assert r.status_code == 401 and "bearer" in r.headers["www-authenticate"].lower()


def test_unknown_paths_and_methods(web):
    assert web.get("/no-such-page").status_code == 404
    assert web.put("/token").status_code == 405
    assert web.get("/api/v1/nothing").headers["content-type"] == "application/problem+json"


def test_security_headers_on_pages(web):
    r = web.get("/login")
    for name in (
        "content-security-policy",
        "x-frame-options",
        "x-content-type-options",
        "referrer-policy",
    ):
        assert name in r.headers
    assert r.headers["cache-control"] == "no-store"
    cookie = r.headers.get("set-cookie", "")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_login_page_is_light(web):
    page = web.get("/login")
    css = web.get("/static/app.css")
    js = web.get("/static/passkey.js")  # the only script: the passkey button, no framework
    assert len(page.content) + len(css.content) + len(js.content) < 50_000
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert scripts == ['<script src="/static/passkey.js" defer>']


def test_a_bookmarked_post_only_address_gets_a_page_not_json(web):
    r = web.get("/account/password", headers={"Accept": "text/html"})
    assert r.status_code == 405 and r.headers["content-type"].startswith("text/html")
    assert "<html" in r.text and "Traceback" not in r.text
    api = web.delete("/token")
    assert api.status_code == 405 and api.json()["error"] == "invalid_request"
