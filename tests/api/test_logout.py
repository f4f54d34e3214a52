"""Logout that reaches every app: RP-initiated logout and back-channel logout."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.oidc_rp import authorize_url, code_flow, csrf_of, exchange, pkce, query_of, register
from tests.receiver import Receiver

PASSWORD = "kata-sandi-rahasia"


@pytest.fixture
def user(services):
    return services.users.create(username="rina", password=PASSWORD)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _login(web, services, c):
    cb, _params, verifier = code_flow(web, c, "rina", PASSWORD)
    return exchange(web, c, cb["code"], verifier).json()


def test_logout_with_hint_redirects_with_state_and_ends_session(web, services, user):
    c = register(services, post_logout_redirect_uris=["https://app.example/bye"])
    tokens = _login(web, services, c)
    r = web.get(
        "/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "state": "xyz",
            "post_logout_redirect_uri": "https://app.example/bye",
        },
    )
    assert r.status_code == 303
    assert r.headers["location"] == "https://app.example/bye?state=xyz"
    assert services.sessions.for_user(user.sub) == []
    url, _ = authorize_url(c, challenge=pkce()[1], prompt="none")
    assert query_of(web.get(url).headers["location"])["error"] == "login_required"


def test_unregistered_post_logout_uri_shows_error_and_keeps_session(web, services, user):
    c = register(services, post_logout_redirect_uris=["https://app.example/bye"])
    tokens = _login(web, services, c)
    r = web.get(
        "/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "https://evil.example/",
        },
    )
    assert r.status_code == 400 and "location" not in r.headers
    assert len(services.sessions.for_user(user.sub)) == 1


def test_bad_id_token_hint_shows_error(web, services, user):
    c = register(services, post_logout_redirect_uris=["https://app.example/bye"])
    _login(web, services, c)
    r = web.get(
        "/logout",
        params={
            "id_token_hint": "eyJhbGciOiJub25lIn0.e30.",
            "post_logout_redirect_uri": "https://app.example/bye",
        },
    )
    assert r.status_code == 400 and "location" not in r.headers
    assert len(services.sessions.for_user(user.sub)) == 1


def test_logout_without_hint_asks_for_confirmation(web, services, user):
    c = register(services)
    _login(web, services, c)
    page = web.get("/logout")
    assert page.status_code == 200 and "Keluar dari SatuPintu?" in page.text
    assert len(services.sessions.for_user(user.sub)) == 1
    forged = web.post("/logout", data={"confirm": "yes", "csrf_token": "forged"})
    assert forged.status_code == 403 and len(services.sessions.for_user(user.sub)) == 1
    done = web.post("/logout", data={"confirm": "yes", "csrf_token": csrf_of(page.text)})
    assert done.status_code == 200 and "Anda sudah keluar" in done.text
    assert services.sessions.for_user(user.sub) == []


def test_backchannel_logout_reaches_every_app_in_the_session(web, services, user, receiver):
    a = register(services, backchannel_logout_uri=receiver.url)
    b = register(
        services,
        name="Kedua",
        redirect_uri="https://dua.example/cb",
        backchannel_logout_uri=receiver.url,
    )
    bystander = register(
        services,
        name="Tidak ikut",
        redirect_uri="https://tiga.example/cb",
        backchannel_logout_uri=receiver.url,
    )
    tokens_a = _login(web, services, a)
    tokens_b = _login(web, services, b)
    web.get("/logout", params={"id_token_hint": tokens_a["id_token"]})
    report = services.logout.deliver_due()
    assert report.delivered == 2
    jwks = KeySet.import_key_set(web.get("/jwks.json").json())
    sid = jwt.decode(tokens_b["id_token"], jwks).claims["sid"]
    auds = set()
    for body in receiver.received:
        token = jwt.decode(body["logout_token"], jwks)
        assert token.header["typ"] == "logout+jwt"
        claims = token.claims
        assert claims["sid"] == sid and claims["iss"] == "http://localhost:8000"
        assert "http://schemas.openid.net/event/backchannel-logout" in claims["events"]
        assert "nonce" not in claims
        auds.add(claims["aud"])
    assert auds == {a.client_id, b.client_id} and bystander.client_id not in auds


def test_backchannel_retries_while_an_app_is_down(web, services, user, receiver, clock):
    a = register(services, backchannel_logout_uri=receiver.url)
    tokens = _login(web, services, a)
    receiver.status = 503
    web.get("/logout", params={"id_token_hint": tokens["id_token"]})
    assert services.logout.deliver_due().retried == 1
    assert services.logout.deliver_due().retried == 0  # not due yet: backoff
    receiver.status = 200
    clock.advance(5)
    assert services.logout.deliver_due().delivered == 1
    assert len(receiver.received) == 2 and services.logout.pending() == []
