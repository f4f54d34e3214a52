"""Hostile input on every endpoint a browser or a client reaches, fuzzed with Hypothesis and
sent as raw ASGI requests (tests/api/raw_asgi.py), so bytes no well-behaved client sends arrive
as they are. Whatever arrives, the answer is never a 5xx, never shows an exception, and is the
endpoint's own kind: OAuth error JSON from the protocol endpoints, an HTML page (or a redirect
to a safe place) from the pages and forms, problem JSON under /api/v1.

Derandomized with no example database, so every run (and CI) sends the same requests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api import fuzz_strategies as fs
from tests.api.raw_asgi import LEAK, Answer, request
from tests.api.test_admin_and_registration import admin_token
from tests.oidc_rp import authorize_url, query_of, register

FUZZ = settings(
    max_examples=50,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
BROWSER = "fuzz-browser-0123456789"
USER, PASSWORD = "warga.fuzz", "kata-sandi-fuzz-1"
# Characters that may not stand in a Location header (nor, unencoded, in any URI).
UNSAFE_LOCATION = re.compile(r'[\x00-\x20\x7f-\uffff"<>\\^`{|}]')


@pytest.fixture
def settings(settings):  # the shared settings, with the limiters out of the way
    return settings.model_copy(
        update={
            "ip_request_limit": 0,
            "ip_failure_limit": 1_000_000,
            "login_free_failures": 1_000_000,
        }
    )


@dataclass
class World:
    """One app with a client, a signed-in citizen and a pending interaction to aim at."""

    web: Any
    services: Any
    client: Any
    session_cookie: str
    interaction: str
    admin: str
    registration_token: str

    def csrf(self, purpose: str) -> str:
        key = self.services.csrf_key
        return hmac.new(key, f"{BROWSER}:{purpose}".encode(), hashlib.sha256).hexdigest()

    def cookies(self) -> bytes:
        name = self.services.settings.cookie_name
        return f"{name}={self.session_cookie}; satupintu_csrf={BROWSER}".encode()


@pytest.fixture
def world(web, services) -> World:
    services.users.create(username=USER, password=PASSWORD)
    c = register(services, post_logout_redirect_uris=["https://app.example/bye"])
    page = web.get("/login")
    login = web.post(
        "/login",
        data={"username": USER, "password": PASSWORD, "csrf_token": _csrf_of(page.text)},
    )
    assert login.status_code == 303, login.text
    cookie = web.cookies.get(services.settings.cookie_name)
    url, _ = authorize_url(c, prompt="consent")
    start = web.get(url)
    iid = query_of(start.headers["location"]).get("interaction", "")
    web.cookies.clear()
    token = services.registration.issue_initial_token(org_id=None, uses=1_000_000)
    return World(web, services, c, cookie, iid, admin_token(web, services), token)


def _csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


# -- what an answer must be ----------------------------------------------------------------------
def no_crash(a: Answer) -> None:
    assert a.raised is None and a.status < 500, a.describe()
    assert not LEAK.search(a.body), a.describe()


def oauth_json(a: Answer) -> None:
    no_crash(a)
    assert a.media == "application/json", a.describe()
    if a.status >= 400:
        body = a.json()
        assert isinstance(body, dict) and isinstance(body.get("error"), str), a.describe()


def page_or_safe_redirect(a: Answer, world: World, *, client_redirect: bool = False) -> None:
    """An HTML page, or a redirect to one of ours or (when the endpoint may) to a redirect URI
    the client registered; the Location is a plain ASCII URI either way."""
    no_crash(a)
    if 300 <= a.status < 400:
        location = a.header("location") or ""
        assert not UNSAFE_LOCATION.search(location), a.describe()
        ours = location.startswith("/") and not location.startswith("//")
        theirs = client_redirect and location.startswith(
            (world.client.redirect_uri + "?", "https://app.example/bye")
        )
        assert ours or location.startswith("http://localhost:8000/") or theirs, location
    elif a.status != 413:  # the body cap answers before any page is chosen
        assert a.media == "text/html", a.describe()


def problem_json(a: Answer) -> None:
    no_crash(a)
    if a.status >= 400:
        assert a.media == "application/problem+json", a.describe()


# -- how a request is drawn -----------------------------------------------------------------------
AUTHORIZE_PARAMS = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "prompt",
    "max_age",
    "ui_locales",
    "login_hint",
    "code_challenge",
    "code_challenge_method",
    "acr_values",
    "id_token_hint",
    "claims",
    "request",
]
TOKEN_PARAMS = [
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "scope",
    "resource",
    "token",
    "token_type_hint",
]
FORM_FIELDS = [
    "username",
    "password",
    "otp",
    "interaction",
    "next",
    "csrf_token",
    "decision",
    "confirm",
    "email",
    "nik",
    "name",
    "phone",
    "token",
    "new_password",
    "current_password",
    "sid",
    "client_id",
    "code",
    "label",
]
COOKIES = ["satupintu_session", "satupintu_csrf", "satupintu_lang", "satupintu_mfa"]
FORM = b"application/x-www-form-urlencoded"
JSON = b"application/json"


@st.composite
def form(draw: st.DrawFn, base: list[tuple[str, str]], names: list[str]) -> bytes:
    """Either a form drawn over `names`, or the well-formed `base` with one field made hostile,
    repeated or dropped, or one added, so the request gets past the first checks."""
    if not base or draw(st.integers(0, 3)) == 0:
        return draw(fs.form_bytes(names))
    pairs = [(k.encode(), quote(v, safe="").encode()) for k, v in base]
    i = draw(st.integers(0, len(pairs) - 1))
    how = draw(st.sampled_from(["replace", "replace", "repeat", "drop", "add"]))
    if how == "replace":
        pairs[i] = (pairs[i][0], draw(fs.hostile_bytes()))
    elif how == "repeat":
        pairs.append((pairs[i][0], draw(fs.hostile_bytes())))
    elif how == "drop":
        del pairs[i]
    else:
        pairs.append((draw(st.sampled_from(names)).encode(), draw(fs.hostile_bytes())))
    return b"&".join(k + b"=" + v for k, v in pairs)


@st.composite
def json_body(draw: st.DrawFn, base: dict[str, Any]) -> bytes:
    """A JSON body drawn over `base`'s keys, or `base` with one member of any type."""
    if draw(st.integers(0, 3)) == 0:
        return draw(fs.json_object_bytes(sorted(base)))
    key = draw(st.sampled_from(sorted(base)))
    value = draw(fs.json_values)
    return json.dumps({**base, key: value}).encode()


def headers(draw: st.DrawFn, world: World, content_type: bytes | None = None) -> list:
    """Hostile headers; often the citizen's real cookies; the content type given, or drawn."""
    hdrs = draw(fs.headers(COOKIES))
    if draw(st.booleans()):
        hdrs = [(k, v) for k, v in hdrs if k != b"cookie"] + [(b"cookie", world.cookies())]
    if content_type is None or draw(st.integers(0, 4)) == 0:
        content_type = draw(fs.content_types)
    return [*hdrs, (b"content-type", content_type)]


def bearer(draw: st.DrawFn, hdrs: list, token: str) -> list:
    """Usually a valid Bearer token in place of whatever Authorization was drawn."""
    if draw(st.integers(0, 3)) == 0:
        return hdrs
    return [(k, v) for k, v in hdrs if k != b"authorization"] + [
        (b"authorization", f"Bearer {token}".encode())
    ]


def send(world: World, method: str, path: str, params: bytes, hdrs: list) -> Answer:
    """GET with `params` as the query string; anything else with them as the body."""
    if method == "GET":
        return request(world.web, method, path, query=params, headers=hdrs)
    return request(world.web, method, path, headers=hdrs, body=params)


# -- the protocol endpoints ------------------------------------------------------------------------
@FUZZ
@given(data=st.data())
def test_authorize(world, data):
    c = world.client
    base = [
        ("response_type", "code"),
        ("client_id", c.client_id),
        ("redirect_uri", c.redirect_uri),
        ("scope", "openid profile"),
        ("state", "s"),
        ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        ("code_challenge_method", "S256"),
    ]
    method = data.draw(st.sampled_from(["GET", "POST"]))
    params = data.draw(form(base, AUTHORIZE_PARAMS))
    a = send(world, method, "/authorize", params, headers(data.draw, world, FORM))
    page_or_safe_redirect(a, world, client_redirect=True)


@FUZZ
@given(data=st.data())
def test_token_introspect_revoke(world, data):
    c = world.client
    path = data.draw(st.sampled_from(["/token", "/introspect", "/revoke"]))
    base = {
        "/token": [("grant_type", "authorization_code"), ("code", "x"), ("code_verifier", "v")],
        "/introspect": [("token", world.admin), ("token_type_hint", "access_token")],
        "/revoke": [("token", "x"), ("token_type_hint", "refresh_token")],
    }[path]
    if data.draw(st.booleans()):
        base = [*base, ("client_id", c.client_id), ("client_secret", c.secret)]
    params = data.draw(form(base, TOKEN_PARAMS))
    hdrs = headers(data.draw, world, FORM)
    if data.draw(st.booleans()):
        auth = base64.b64encode(f"{c.client_id}:{c.secret}".encode())
        hdrs = [(k, v) for k, v in hdrs if k != b"authorization"]
        hdrs.append((b"authorization", b"Basic " + auth))
    oauth_json(send(world, "POST", path, params, hdrs))


@FUZZ
@given(data=st.data())
def test_userinfo(world, data):
    method = data.draw(st.sampled_from(["GET", "POST"]))
    params = data.draw(fs.form_bytes(["access_token", "scope"]))
    hdrs = bearer(data.draw, headers(data.draw, world, FORM), world.admin)
    oauth_json(send(world, method, "/userinfo", params, hdrs))


REGISTRATION = {
    "redirect_uris": ["https://rp.example/cb"],
    "client_name": "Aplikasi",
    "grant_types": ["authorization_code"],
    "token_endpoint_auth_method": "client_secret_basic",
    "scope": "openid",
    "post_logout_redirect_uris": ["https://rp.example/bye"],
    "backchannel_logout_uri": "https://rp.example/bc",
    "sector_identifier_uri": "https://rp.example/sector",
    "subject_type": "pairwise",
    "id_token_signed_response_alg": "ES256",
    "jwks": {"keys": []},
    "jwks_uri": "https://rp.example/jwks",
    "contacts": ["ops@rp.example"],
    "client_uri": "https://rp.example/",
    "logo_uri": "https://rp.example/logo.png",
}


@FUZZ
@given(data=st.data())
def test_register_json(world, data):
    body = data.draw(json_body(REGISTRATION))
    hdrs = bearer(data.draw, headers(data.draw, world, JSON), world.registration_token)
    a = send(world, "POST", "/register", body, hdrs)
    if (a.header("content-type") or "").startswith("text/html"):
        page_or_safe_redirect(a, world)  # an urlencoded post is the citizens' sign-up form
    else:
        oauth_json(a)


@FUZZ
@given(data=st.data())
def test_logout(world, data):
    base = [
        ("client_id", world.client.client_id),
        ("post_logout_redirect_uri", "https://app.example/bye"),
        ("state", "s"),
        ("confirm", "yes"),
        ("csrf_token", world.csrf("logout")),
    ]
    names = ["id_token_hint", "ui_locales", "logout_hint", *dict(base)]
    method = data.draw(st.sampled_from(["GET", "POST"]))
    params = data.draw(form(base, names))
    a = send(world, method, "/logout", params, headers(data.draw, world, FORM))
    page_or_safe_redirect(a, world, client_redirect=True)


# -- the pages and their forms ---------------------------------------------------------------------
FORMS = {
    "/login": ("login", [("username", USER), ("password", "salah")]),
    "/login/otp": ("otp", [("otp", "123456")]),
    "/consent": ("consent", [("decision", "approve")]),
    "/password/forgot": ("forgot", [("email", "warga@contoh.id")]),
    "/password/reset": ("reset", [("token", "x"), ("password", "kata-sandi-baru-1")]),
    "/signup": (
        "register",
        [("name", "Warga"), ("email", "baru@contoh.id"), ("nik", "3201010101010001")],
    ),
    "/register": (
        "register",
        [("name", "Warga"), ("email", "baru@contoh.id"), ("nik", "3201010101010001")],
    ),
    "/account/password": ("account", [("current_password", PASSWORD), ("new_password", "x")]),
    "/account/sessions/revoke": ("account", [("sid", "x")]),
    "/account/apps/revoke": ("account", [("client_id", "x")]),
    "/account/security/totp/start": ("security", []),
    "/account/security/totp/confirm": ("security", [("code", "123456")]),
    "/account/security/totp/remove": ("security", [("password", PASSWORD)]),
    "/account/security/recovery/regenerate": ("security", [("password", PASSWORD)]),
}
PAGES = [
    "/login",
    "/login/otp",
    "/consent",
    "/password/forgot",
    "/password/reset",
    "/signup",
    "/register",
    "/verify-email",
    "/authorize/resume",
    "/lang",
    "/account",
    "/account/security",
    "/",
]


@FUZZ
@given(data=st.data())
def test_form_posts(world, data):
    path = data.draw(st.sampled_from(sorted(FORMS)))
    purpose, fields = FORMS[path]
    base = [("csrf_token", world.csrf(purpose)), ("interaction", world.interaction), *fields]
    params = data.draw(form(base, FORM_FIELDS))
    a = send(world, "POST", path, params, headers(data.draw, world, FORM))
    if path == "/register" and a.media == "application/json":
        oauth_json(a)  # not an urlencoded post: Dynamic Client Registration's answer
    else:
        page_or_safe_redirect(a, world)


@FUZZ
@given(data=st.data())
def test_pages(world, data):
    path = data.draw(st.sampled_from(PAGES))
    base = [("interaction", world.interaction), ("next", "/account"), ("set", "en")]
    names = ["interaction", "next", "token", "set", "ui_locales", "done"]
    params = data.draw(form(base, names))
    page_or_safe_redirect(send(world, "GET", path, params, headers(data.draw, world)), world)


# -- the machine API ------------------------------------------------------------------------------
ADMIN = {
    ("POST", "/api/v1/orgs"): {"name": "Dinas"},
    ("POST", "/api/v1/clients"): {"name": "App", "redirect_uris": ["https://rp.example/cb"]},
    ("POST", "/api/v1/users"): {"username": "budi", "password": "kata-sandi-budi-1"},
    ("PATCH", "/api/v1/clients/{client}"): {"require_mfa": True},
    ("PATCH", "/api/v1/orgs/{org}"): {"name": "Dinas Baru"},
    ("GET", "/api/v1/clients"): {},
    ("GET", "/api/v1/users/{sub}/sessions"): {},
}


@FUZZ
@given(data=st.data())
def test_admin_api(world, data):
    method, template = data.draw(st.sampled_from(sorted(ADMIN)))
    ref = data.draw(st.sampled_from([world.client.client_id, "x", "\x00", "ü", "a" * 300]))
    path = template.format(client=ref, org=ref, sub=ref)
    base = ADMIN[(method, template)]
    body = data.draw(json_body(base)) if base else b""
    hdrs = bearer(data.draw, headers(data.draw, world, JSON), world.admin)
    query = data.draw(fs.form_bytes(["org", "limit"]))
    problem_json(request(world.web, method, path, query=query, headers=hdrs, body=body))
