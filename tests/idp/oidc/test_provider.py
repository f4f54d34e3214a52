"""The token server (OpenIDProvider) driven with OAuthRequest values on the test database, as
the token endpoint drives it but without HTTP: grants, PKCE, single-use codes, refresh
rotation, and RFC 6749's error names."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from idp.oauth.clients import Client
from idp.oauth.requests import HttpRequest
from idp.oauth.tokens import InvalidToken
from idp.oidc.authorize import Redirect
from idp.signin.sessions import ActiveSession
from tests.oidc_rp import pkce, query_of

PASSWORD = "kata-sandi-rahasia"
REDIRECT = "https://app.example/cb"


def make_client(
    services, *, public: bool = False, scope: str = "openid profile offline_access", **meta: Any
) -> tuple[Client, str | None]:
    return services.clients.create(
        name="Aplikasi Uji",
        metadata={
            "redirect_uris": [REDIRECT],
            "scope": scope,
            "grant_types": meta.pop("grant_types", ["authorization_code", "refresh_token"]),
            **meta,
        },
        public=public,
    )


def token(
    services, form: dict[str, str], auth: tuple[str, str | None] | None = None
) -> tuple[int, dict[str, Any]]:
    """One token request through the server, committed when it succeeds (as the endpoint does)."""
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if auth is not None:
        pair = f"{quote(auth[0], safe='')}:{quote(auth[1] or '', safe='')}"
        headers["authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    req = HttpRequest(
        "POST", services.settings.issuer_base + "/token", headers, form=list(form.items())
    )
    oauth = services.server.oauth_request(req, services.db)
    try:
        resp = services.server.create_token_response(oauth)
        if (db := oauth.opened_db) is not None:
            db.commit() if resp.status == 200 else db.rollback()
    finally:
        if (db := oauth.opened_db) is not None:
            db.close()
    return resp.status, json.loads(resp.body)


def signed_in(services) -> ActiveSession:
    uid = services.users.create(username="dewi", password=PASSWORD).sub
    session, _cookie = services.sessions.establish(uid, acr=None, amr=["pwd"])
    return session


def code_for(
    services,
    client: Client,
    session: ActiveSession,
    *,
    challenge: str | None = None,
    scope: str = "openid profile offline_access",
) -> str:
    """An authorization code from the authorization flow, its consent given beforehand."""
    services.consent.grant(session.user_id, client.client_id, scope.split(), evidence={})
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "s",
    }
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    url = services.settings.issuer_base + "/authorize?" + urlencode(params)
    with services.db() as db:
        decision = services.flow.decide(
            HttpRequest("GET", url, {}, query=list(params.items())), db, session
        )
    assert isinstance(decision, Redirect), decision
    return query_of(decision.response.location or "")["code"]


def exchange(services, client, secret, code, verifier=None) -> tuple[int, dict[str, Any]]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    if verifier:
        form["code_verifier"] = verifier
    if secret is None:
        return token(services, form | {"client_id": client.client_id})
    return token(services, form, (client.client_id, secret))


def refresh(services, client, secret, refresh_token) -> tuple[int, dict[str, Any]]:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return token(services, form, (client.client_id, secret))


# -- client_credentials ---------------------------------------------------------------------
def test_client_credentials_issues_only_registered_scopes(services):
    client, secret = make_client(
        services, scope="profile email", grant_types=["client_credentials"]
    )
    status, body = token(
        services,
        {"grant_type": "client_credentials", "scope": "profile"},
        (client.client_id, secret),
    )
    assert status == 200 and body["scope"] == "profile" and "refresh_token" not in body
    claims = services.tokens.verify_access_token(body["access_token"]).claims
    assert claims["sub"] == client.client_id and claims["scope"] == "profile"
    status, body = token(
        services,
        {"grant_type": "client_credentials", "scope": "profile phone"},
        (client.client_id, secret),
    )
    assert (
        status == 400 and body["error"] == "invalid_scope" and "phone" in body["error_description"]
    )
    status, body = token(
        services,
        {"grant_type": "client_credentials", "scope": "satupintu:admin"},
        (client.client_id, secret),
    )
    assert status == 400 and body["error"] == "invalid_scope"


def test_client_credentials_hands_its_audit_row_to_the_caller(services):
    """Nothing is written for this grant: the endpoint commits the row before the token leaves."""
    client, secret = make_client(services, scope="profile", grant_types=["client_credentials"])
    pair = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    req = HttpRequest(
        "POST",
        services.settings.issuer_base + "/token",
        {"authorization": f"Basic {pair}"},
        form=[("grant_type", "client_credentials")],
    )
    oauth = services.server.oauth_request(req, services.db)
    assert services.server.create_token_response(oauth).status == 200
    assert not services.audit.recent(type_prefix="token.issue")
    (event,) = oauth.audit_after
    assert event.type == "token.issue" and event.client_id == client.client_id
    assert event.detail == {"grant_type": "client_credentials", "refresh": False}


# -- authorization_code ---------------------------------------------------------------------
def test_code_exchange_with_pkce_for_a_public_client(services):
    client, _ = make_client(services, public=True)
    session = signed_in(services)
    verifier, challenge = pkce()
    code = code_for(services, client, session, challenge=challenge)
    status, body = exchange(services, client, None, code)
    assert status == 400 and body["error"] == "invalid_request"  # the verifier is missing
    status, body = exchange(services, client, None, code, pkce()[0])
    assert status == 400 and body["error"] == "invalid_grant"  # someone else's verifier
    status, body = exchange(services, client, None, code, verifier)
    assert status == 200, body
    assert {"access_token", "id_token", "refresh_token"} <= set(body)
    assert body["token_type"] == "Bearer" and body["scope"] == "openid profile offline_access"
    access = services.tokens.verify_access_token(body["access_token"])
    assert access.user_id == session.user_id and access.client_id == client.client_id


def test_a_code_is_single_use_and_its_replay_revokes_the_grant(services):
    client, secret = make_client(services)
    code = code_for(services, client, signed_in(services))
    status, first = exchange(services, client, secret, code)
    assert status == 200
    status, body = exchange(services, client, secret, code)
    assert status == 400 and body["error"] == "invalid_grant"
    with pytest.raises(InvalidToken):
        services.tokens.verify_access_token(first["access_token"])
    status, body = refresh(services, client, secret, first["refresh_token"])
    assert status == 400 and body["error"] == "invalid_grant"
    assert services.audit.recent(type_prefix="token.code_replay")


def test_a_code_works_only_for_its_client_its_redirect_uri_and_its_lifetime(services):
    client, secret = make_client(services)
    other, other_secret = make_client(services)
    session = signed_in(services)
    code = code_for(services, client, session)
    status, body = exchange(services, other, other_secret, code)
    assert status == 400 and body["error"] == "invalid_grant"
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT + "/x"}
    status, body = token(services, form, (client.client_id, secret))
    assert status == 400 and body["error"] == "invalid_grant"
    assert exchange(services, client, secret, code)[0] == 200  # refused attempts did not spend it
    late = code_for(services, client, session)
    services.clock.advance(services.settings.code_ttl + 1)
    status, body = exchange(services, client, secret, late)
    assert status == 400 and body["error"] == "invalid_grant"


# -- refresh_token --------------------------------------------------------------------------
def test_refresh_rotates_and_reuse_revokes_the_grant(services):
    client, secret = make_client(services)
    code = code_for(services, client, signed_in(services))
    first = exchange(services, client, secret, code)[1]
    status, second = refresh(services, client, secret, first["refresh_token"])
    assert status == 200 and second["refresh_token"] != first["refresh_token"]
    assert "id_token" in second
    services.tokens.verify_access_token(second["access_token"])
    status, body = refresh(services, client, secret, first["refresh_token"])  # copied
    assert status == 400 and body["error"] == "invalid_grant"
    status, body = refresh(services, client, secret, second["refresh_token"])
    assert status == 400 and body["error"] == "invalid_grant"  # the whole grant is gone
    with pytest.raises(InvalidToken):
        services.tokens.verify_access_token(second["access_token"])
    assert services.audit.recent(type_prefix="token.refresh_reuse")


def test_refresh_is_held_to_the_clients_current_scope(services):
    client, secret = make_client(services)
    code = code_for(services, client, signed_in(services))
    first = exchange(services, client, secret, code)[1]
    services.clients.update(client.client_id, {"scope": "openid offline_access"})
    status, body = refresh(services, client, secret, first["refresh_token"])
    assert status == 200 and body["scope"] == "openid offline_access"


def test_a_refresh_token_belongs_to_its_client(services):
    client, secret = make_client(services)
    other, other_secret = make_client(services)
    first = exchange(services, client, secret, code_for(services, client, signed_in(services)))[1]
    status, body = refresh(services, other, other_secret, first["refresh_token"])
    assert status == 400 and body["error"] == "invalid_grant"


# -- RFC 6749 §5.2 error names --------------------------------------------------------------
def test_errors_have_rfc6749_names(services):
    client, secret = make_client(services)
    auth = (client.client_id, secret)
    status, body = token(services, {"grant_type": "password", "username": "a"}, auth)
    assert (status, body["error"]) == (400, "unsupported_grant_type")
    status, body = token(services, {"grant_type": "client_credentials"}, auth)
    assert (status, body["error"]) == (400, "unauthorized_client")
    status, body = token(services, {"grant_type": "authorization_code", "code": "x"}, auth)
    assert (status, body["error"]) == (400, "invalid_grant")
    status, body = token(services, {"grant_type": "authorization_code"}, auth)
    assert (status, body["error"]) == (400, "invalid_request")
    status, body = token(services, {"grant_type": "refresh_token", "refresh_token": "x"}, auth)
    assert (status, body["error"]) == (400, "invalid_grant")
    status, body = token(
        services, {"grant_type": "authorization_code", "code": "x"}, (client.client_id, "salah")
    )
    assert (status, body["error"]) == (401, "invalid_client")
    status, body = token(services, {"grant_type": "authorization_code", "code": "x"})
    assert (status, body["error"]) == (401, "invalid_client")
