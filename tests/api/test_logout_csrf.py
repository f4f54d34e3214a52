"""RP-initiated logout without confirmation only for the session the hint names (RP-Initiated
Logout 1.0 §2, §6): an id_token_hint ends the browser's session at once only when it is an ID
token of this provider whose `sub` and `sid` are that session's. Anything else — another
user's ID token, an ID token of an older session, an access token — gets the confirmation
page, and the session lives on until the user says yes."""

from __future__ import annotations

import pytest

from tests.oidc_rp import code_flow, exchange, register

PASSWORD = "kata-sandi-rahasia"
BYE = "https://app.example/bye"


def _signed_in(web, services, c, username):
    cb, _params, verifier = code_flow(web, c, username, PASSWORD)
    return exchange(web, c, cb["code"], verifier).json()


def _logout(web, hint):
    return web.get("/logout", params={"id_token_hint": hint, "post_logout_redirect_uri": BYE})


@pytest.fixture
def app_client(services):
    services.users.create(username="rina", password=PASSWORD)
    services.users.create(username="penyerang", password=PASSWORD)
    return register(services, post_logout_redirect_uris=[BYE])


def _confirms(r) -> bool:
    return r.status_code == 200 and 'name="confirm"' in r.text and "location" not in r.headers


def test_the_sessions_own_id_token_signs_out_at_once(web, services, app_client):
    tokens = _signed_in(web, services, app_client, "rina")
    r = _logout(web, tokens["id_token"])
    assert r.status_code == 303 and r.headers["location"] == BYE


def test_another_users_id_token_asks_first(web, services, app_client):
    """The review's logout CSRF: an attacker's own ID token, in a link the victim opens."""
    from fastapi.testclient import TestClient

    with TestClient(web.app, base_url="http://localhost:8000", follow_redirects=False) as other:
        attacker = _signed_in(other, services, app_client, "penyerang")
    _signed_in(web, services, app_client, "rina")
    victim = services.users.find_by_login("rina").id
    r = _logout(web, attacker["id_token"])
    assert _confirms(r)
    assert len(services.sessions.for_user(victim)) == 1


def test_an_access_token_is_not_an_id_token_hint(web, services, app_client):
    tokens = _signed_in(web, services, app_client, "rina")
    r = _logout(web, tokens["access_token"])
    assert r.status_code == 400 or _confirms(r)
    assert "location" not in r.headers
    assert len(services.sessions.for_user(services.users.find_by_login("rina").id)) == 1


def test_an_id_token_of_an_earlier_session_asks_first(web, services, app_client):
    old = _signed_in(web, services, app_client, "rina")
    web.post("/logout", data={"confirm": "yes"})  # without the form's token: nothing happens
    uid = services.users.find_by_login("rina").id
    for s in services.sessions.for_user(uid):
        services.logout.end(s.sid, actor="test")
    web.cookies.clear()
    _signed_in(web, services, app_client, "rina")  # a new session, a new sid
    r = _logout(web, old["id_token"])
    assert _confirms(r)
    assert len(services.sessions.for_user(uid)) == 1
