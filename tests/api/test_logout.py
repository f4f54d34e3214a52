"""Logout that reaches every app: RP-initiated logout and back-channel logout."""

from __future__ import annotations

import logging

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.oauth.models import ClientRecord
from idp.oidc.logout import MAX_ATTEMPTS
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


def _registered_before_the_guard_checked_it(services, client_id, uri):
    """A row from before registration checked outbound URIs: its URI is what the guard blocks."""
    with services.db.begin() as s:
        rec = s.get(ClientRecord, client_id)
        rec.client_metadata = {**rec.client_metadata, "backchannel_logout_uri": uri}


def test_a_refused_or_failed_delivery_is_logged_without_the_token(
    web, services, user, receiver, caplog
):
    down = register(services, backchannel_logout_uri=receiver.url)
    private = register(services, name="Intranet", redirect_uri="https://dua.example/cb")
    _registered_before_the_guard_checked_it(services, private.client_id, "https://10.0.0.5/bc")
    receiver.status = 503
    tokens = _login(web, services, down)
    _login(web, services, private)
    caplog.set_level(logging.WARNING, logger="satupintu")
    web.get("/logout", params={"id_token_hint": tokens["id_token"]})
    assert services.logout.deliver_due().retried == 2
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    refused = [m for m in lines if private.client_id in m]
    failed = [m for m in lines if down.client_id in m]
    assert len(refused) == 1 and "10.0.0.5" in refused[0] and "private address" in refused[0]
    assert len(failed) == 1 and "127.0.0.1" in failed[0] and "HTTP 503" in failed[0]
    token = receiver.received[0]["logout_token"]
    for line in lines:
        assert token not in line and user.sub not in line and "rina" not in line


def test_giving_up_on_a_delivery_is_logged_and_audited(
    web, services, user, receiver, clock, caplog
):
    c = register(services, backchannel_logout_uri=receiver.url)
    receiver.status = 500
    tokens = _login(web, services, c)
    web.get("/logout", params={"id_token_hint": tokens["id_token"]})
    caplog.set_level(logging.WARNING, logger="satupintu")
    for _ in range(MAX_ATTEMPTS):
        services.logout.deliver_due()
        clock.advance(3600)
    assert services.logout.pending() == [] and len(receiver.received) == MAX_ATTEMPTS
    given_up = [r.getMessage() for r in caplog.records if "gave up" in r.getMessage()]
    assert len(given_up) == 1 and c.client_id in given_up[0]
    events = services.audit.recent(type_prefix="logout.backchannel")
    assert [e.detail.get("gave_up") for e in events] == [True] + [None] * (MAX_ATTEMPTS - 1)
    assert all(e.outcome == "failure" and e.client_id == c.client_id for e in events)
