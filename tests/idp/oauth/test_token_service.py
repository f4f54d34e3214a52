"""TokenService: RFC 9068 access tokens (claims, expiry on the injectable clock, revocation by
jti, the grant behind them) and refresh tokens stored only as hashes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from idp.clock import aware, epoch
from idp.oauth.clients import Client
from idp.oauth.models import Grant, RefreshToken
from idp.oauth.principal import Principal
from idp.oauth.tokens import InvalidToken, TokenService, refresh_expired
from idp.secrets import secret_hash

REDIRECT = "https://app.example/cb"


def make_client(services, scope: str = "openid profile offline_access", **meta: Any) -> Client:
    client, _secret = services.clients.create(
        name="Aplikasi Uji",
        metadata={"redirect_uris": [REDIRECT], "scope": scope, **meta},
    )
    return client


def make_grant(services, client: Client, user_id: str) -> str:
    grant_id = str(uuid.uuid4())
    with services.db.begin() as s:
        s.add(
            Grant(
                id=grant_id,
                client_id=client.client_id,
                user_id=user_id,
                scope="openid",
                created_at=services.clock(),
            )
        )
    return grant_id


def principal(user_id: str = "user-1", grant_id: str | None = None) -> Principal:
    return Principal(
        user_id=user_id,
        auth_time=1_700_000_000,
        acr="urn:satupintu:acr:mfa",
        amr=["pwd", "otp", "mfa"],
        sid="sesi-1",
        grant_id=grant_id,
    )


def decoded(services, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims, verified against the published JWKS."""
    got = jwt.decode(token, KeySet.import_key_set(services.keys.jwks()))
    return dict(got.header), dict(got.claims)


# -- access tokens --------------------------------------------------------------------------
def test_a_client_acting_for_itself_gets_an_rfc9068_token(services):
    client = make_client(services)
    token = services.tokens.access_token(client, None, "profile", 300)
    header, claims = decoded(services, token)
    assert header["typ"] == "at+jwt" and header["alg"] == "RS256" and header["kid"]
    assert claims["iss"] == services.settings.issuer_base
    assert claims["sub"] == claims["client_id"] == claims["aud"] == client.client_id
    assert claims["scope"] == "profile" and claims["exp"] == claims["iat"] + 300
    assert abs(claims["iat"] - epoch(services.clock())) <= 1
    assert "auth_time" not in claims and "sid" not in claims


def test_a_token_for_a_user_says_how_and_when_they_signed_in(services):
    client = make_client(services)
    token = services.tokens.access_token(client, principal(grant_id="g-1"), "openid", 300)
    _header, claims = decoded(services, token)
    assert claims["sub"] == "user-1" and claims["sid"] == "sesi-1" and claims["gid"] == "g-1"
    assert claims["auth_time"] == 1_700_000_000
    assert claims["acr"] == "urn:satupintu:acr:mfa" and claims["amr"] == ["pwd", "otp", "mfa"]


def test_a_pairwise_client_sees_neither_the_user_id_nor_the_session_id(services):
    pairwise = make_client(services, subject_type="pairwise")
    elsewhere = make_client(
        services, subject_type="pairwise", redirect_uris=["https://b.example/cb"]
    )
    here = decoded(services, services.tokens.access_token(pairwise, principal(), "openid", 60))[1]
    again = decoded(services, services.tokens.access_token(pairwise, principal(), "openid", 60))[1]
    there = decoded(services, services.tokens.access_token(elsewhere, principal(), "openid", 60))[1]
    assert here["sub"] != "user-1" and here["sid"] != "sesi-1"
    assert here["sub"] == again["sub"] and here["sub"] != there["sub"]
    assert here["sid"] != there["sid"]


def test_an_access_token_verifies_until_it_expires(services, clock):
    client = make_client(services)
    token = services.tokens.access_token(client, None, "profile", 300)
    seen = services.tokens.verify_access_token(token)
    assert seen.client_id == client.client_id and seen.scopes == {"profile"}
    assert seen.user_id is None
    clock.advance(298)
    services.tokens.verify_access_token(token)
    clock.advance(3)
    with pytest.raises(InvalidToken, match="expired"):
        services.tokens.verify_access_token(token)


def test_revoking_by_jti_refuses_that_token_only(services):
    client = make_client(services)
    revoked = services.tokens.access_token(client, None, "profile", 300)
    other = services.tokens.access_token(client, None, "profile", 300)
    services.tokens.revoke_access_token(services.tokens.verify_access_token(revoked))
    with pytest.raises(InvalidToken, match="revoked"):
        services.tokens.verify_access_token(revoked)
    claims = services.tokens.verify_access_token(other)
    services.tokens.revoke_access_token(claims)
    services.tokens.revoke_access_token(claims)  # twice is no error
    with pytest.raises(InvalidToken):
        services.tokens.verify_access_token(other)


def test_a_token_of_a_revoked_grant_is_refused(services):
    client = make_client(services)
    grant_id = make_grant(services, client, "user-1")
    token = services.tokens.access_token(client, principal(grant_id=grant_id), "openid", 300)
    assert services.tokens.verify_access_token(token).user_id == "user-1"
    with services.db.begin() as s:
        services.tokens.revoke_grant(s, grant_id, "test")
    with pytest.raises(InvalidToken, match="grant"):
        services.tokens.verify_access_token(token)


def test_only_our_own_access_tokens_verify(services):
    client = make_client(services)
    id_token_like = services.keys.sign({"iss": services.settings.issuer_base, "jti": "j"})
    with pytest.raises(InvalidToken, match="not an access token"):
        services.tokens.verify_access_token(id_token_like)
    foreign = TokenService(
        services.db,
        services.keys,
        services.subjects,
        services.clock,
        issuer="https://other.example",
        access_ttl=300,
        refresh_ttl=60,
    )
    with pytest.raises(InvalidToken, match="claims"):
        services.tokens.verify_access_token(foreign.access_token(client, None, "profile", 300))
    token = services.tokens.access_token(client, None, "profile", 300)
    head, body, sig = token.split(".")
    with pytest.raises(InvalidToken, match="signature"):
        services.tokens.verify_access_token(f"{head}.{body}x.{sig}")


# -- the token response ---------------------------------------------------------------------
def test_a_token_carries_only_what_the_client_holds(services):
    client = make_client(services, scope="openid profile")
    token = services.tokens("authorization_code", client, principal(), "openid profile email")
    assert token["scope"] == "openid profile" and token["token_type"] == "Bearer"
    assert token["expires_in"] == services.settings.access_token_ttl
    assert decoded(services, token["access_token"])[1]["scope"] == "openid profile"


def test_a_refresh_token_only_with_offline_access_and_a_user(services):
    client = make_client(services)
    assert "refresh_token" in services.tokens(
        "authorization_code", client, principal(), "openid offline_access"
    )
    assert "refresh_token" not in services.tokens(
        "authorization_code", client, principal(), "openid"
    )
    alone = services.tokens("client_credentials", client, None, "offline_access")
    assert "refresh_token" not in alone


# -- refresh tokens -------------------------------------------------------------------------
def test_a_refresh_token_is_stored_only_as_its_hash(services, clock):
    client = make_client(services)
    grant_id = make_grant(services, client, "user-1")
    token = services.tokens("authorization_code", client, principal(), "openid offline_access")[
        "refresh_token"
    ]
    with services.db.begin() as s:
        services.tokens.store_refresh_token(
            s, token, client, principal(grant_id=grant_id), "openid offline_access"
        )
    with services.db() as s:
        (row,) = s.scalars(select(RefreshToken)).all()
        stored = [getattr(row, c.key) for c in RefreshToken.__table__.columns]
        assert row.token_hash == secret_hash(token)
        assert not any(token in str(value) for value in stored)
        assert services.tokens.refresh_token_row(s, token) is row
        assert services.tokens.refresh_token_row(s, token + "x") is None
        assert (row.grant_id, row.user_id, row.sid) == (grant_id, "user-1", "sesi-1")
        lifetime = aware(row.expires_at) - aware(row.issued_at)
        assert lifetime.total_seconds() == services.settings.refresh_token_ttl
        assert not refresh_expired(row, clock())
        clock.advance(services.settings.refresh_token_ttl + 1)
        assert refresh_expired(row, clock())


def test_revoking_a_grant_revokes_its_refresh_tokens(services):
    client = make_client(services)
    grant_id = make_grant(services, client, "user-1")
    with services.db.begin() as s:
        services.tokens.store_refresh_token(
            s, "r-1", client, principal(grant_id=grant_id), "openid"
        )
    with services.db.begin() as s:
        assert services.tokens.grant_active(s, grant_id)
        services.tokens.revoke_grant(s, grant_id, "test")
    with services.db() as s:
        assert not services.tokens.grant_active(s, grant_id)
        assert services.tokens.refresh_token_row(s, "r-1").revoked_at is not None
    assert services.tokens.grants_for_user("user-1") == []
