"""A regional app integrates as a new user would: pyoidc against real SatuPintu processes, a
citizen in real Chromium. Runs on SQLite, PostgreSQL, and two servers sharing PostgreSQL
(the browser talks to the first, the apps' back ends to the second)."""

from __future__ import annotations

import time

import pytest
from oic.oic.message import AccessTokenResponse, AuthorizationErrorResponse

from tests.e2e.citizen import Citizen
from tests.e2e.conftest import PASSWORD, USERNAME, Site

pytestmark = pytest.mark.slow


def wait_for(predicate, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_discovery_through_the_rp_library(site: Site):
    app = site.app(site.ktp)
    meta = app.provider
    assert meta["issuer"] == site.idp.issuer
    assert meta["code_challenge_methods_supported"] == ["S256"]
    for endpoint in ("authorization", "token", "userinfo", "end_session"):
        assert meta[f"{endpoint}_endpoint"].startswith(site.idp.issuer + "/")
    # pyoidc fetched the JWKS named by discovery into its key jar.
    assert app.client.keyjar.get_signing_key("RSA", owner=site.idp.issuer)


def test_the_whole_journey(site: Site, citizen: Citizen):
    ktp, sehat = site.app(site.ktp), site.app(site.sehat)

    # Login through the HTML form, consent, back at the app with a code (and iss, RFC 9207).
    back = ktp.callback(citizen.log_in_through(ktp.authorization_url(), USERNAME, PASSWORD))
    assert "code" in back

    # Code exchange with PKCE; pyoidc validated the id_token (signature, iss, aud, nonce).
    tokens = ktp.redeem(back["code"], back["state"])
    assert isinstance(tokens, AccessTokenResponse), tokens.to_dict()
    id_token = tokens["id_token"]
    assert id_token["iss"] == site.idp.issuer and id_token["aud"] == [ktp.client_id]
    assert id_token["sub"] == site.sub and id_token["amr"] == ["pwd"]
    assert id_token["nonce"] == ktp.pending[back["state"]].request["nonce"]
    sid = id_token["sid"]

    # Userinfo with the access token.
    info = ktp.userinfo(back["state"])
    assert info["sub"] == site.sub and info["name"] == "Budi Santoso"
    assert info["email"] == "budi@example.id" and info["preferred_username"] == USERNAME

    # Silent SSO for the second app: prompt=none, no page shown, same SSO session.
    silent = sehat.callback(citizen.silently(sehat.authorization_url(prompt="none")))
    assert "code" in silent, silent.to_dict()
    sehat_tokens = sehat.redeem(silent["code"], silent["state"])
    assert isinstance(sehat_tokens, AccessTokenResponse), sehat_tokens.to_dict()
    assert sehat_tokens["id_token"]["sid"] == sid
    assert sehat_tokens["id_token"]["aud"] == [sehat.client_id]

    # Refresh rotates the refresh token; the new access token works.
    first_refresh = tokens["refresh_token"]
    refreshed = ktp.refresh(back["state"])
    assert isinstance(refreshed, AccessTokenResponse), refreshed.to_dict()
    assert refreshed["refresh_token"] != first_refresh
    assert ktp.introspect(refreshed["access_token"])["active"] is True

    # The rotated-out refresh token is rejected, and its reuse revokes the whole grant.
    reuse = ktp.token_request({"grant_type": "refresh_token", "refresh_token": first_refresh})
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    again = ktp.token_request(
        {"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]}
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert ktp.introspect(refreshed["access_token"])["active"] is False

    # Introspection and revocation of the second app's tokens; another app's token is
    # reported inactive to a client that did not receive it (RFC 7662 §2.2).
    live = sehat.introspect(sehat_tokens["access_token"])
    assert live["active"] is True and live["client_id"] == sehat.client_id
    assert live["sub"] == site.sub and live["sid"] == sid
    assert ktp.introspect(sehat_tokens["access_token"]) == {"active": False}
    assert sehat.introspect(sehat_tokens["refresh_token"])["active"] is True
    assert sehat.revoke(sehat_tokens["access_token"], "access_token").status_code == 200
    assert sehat.introspect(sehat_tokens["access_token"])["active"] is False
    gone = sehat.userinfo(silent["state"])
    assert gone.get("error") == "invalid_token"

    # RP-initiated logout: back to the app's registered URI with its state ...
    citizen.open(ktp.logout_url(tokens["id_token_jwt"], f"{site.origin}/ktp/", "sampai-jumpa"))
    assert citizen.page.url == f"{site.origin}/ktp/?state=sampai-jumpa"
    # ... the SSO session is over ...
    ended = sehat.callback(citizen.silently(sehat.authorization_url(prompt="none")))
    assert isinstance(ended, AuthorizationErrorResponse) and ended["error"] == "login_required"

    # ... and back-channel logout reached both apps' receiver with a valid logout token.
    def delivered() -> dict[str, dict]:
        found = {}
        for body in list(site.receiver.received):
            for app in (ktp, sehat):
                try:
                    token = app.verify_logout_token(body)
                except Exception:  # addressed to the other app
                    continue
                if token["sid"] == sid:
                    found[app.client_id] = token
        return found if len(found) == 2 else {}

    for token in wait_for(delivered).values():
        assert token["sub"] == site.sub and "nonce" not in token


@pytest.mark.sites("postgres-2-servers")
def test_two_servers_share_the_work(site: Site, citizen: Citizen):
    """With two servers, the code is issued by one and redeemed and refreshed at the other."""
    front, back = site.idp.front, site.idp.back
    ktp = site.app(site.ktp)
    assert ktp.client.token_endpoint.startswith(back.url) and back.url != front.url
    got = ktp.callback(citizen.log_in_through(ktp.authorization_url(), USERNAME, PASSWORD))
    assert isinstance(ktp.redeem(got["code"], got["state"]), AccessTokenResponse)
    assert isinstance(ktp.refresh(got["state"]), AccessTokenResponse)
    assert "POST /login" in front.tail(400) and "POST /token" not in front.tail(400)
    assert "POST /token" in back.tail(400) and "POST /login" not in back.tail(400)
