"""Tables of the OAuth wing: clients, grants and what descends from them (codes, refresh tokens),
signing keys, initial access tokens and client assertions already seen. Secrets are only hashes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from idp.tables import TS, Base


class ClientRecord(Base):
    __tablename__ = "idp_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_secret_hash: Mapped[str | None] = mapped_column(String(128))
    org_id: Mapped[str | None] = mapped_column(ForeignKey("idp_organisations.id"))
    name: Mapped[str] = mapped_column(String(200))
    # RFC 7591 / OIDC Registration metadata: redirect_uris, grant_types, scope, ...
    client_metadata: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(TS)
    registration_access_token_hash: Mapped[str | None] = mapped_column(String(128))


class Grant(Base):
    """One authorization given by a user to a client; every code and token descends from it,
    so a replayed code or a reused refresh token revokes the whole family at once."""

    __tablename__ = "idp_grants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    sid: Mapped[str | None] = mapped_column(String(36), index=True)
    scope: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TS)
    revoked_at: Mapped[datetime | None] = mapped_column(TS)
    revoked_reason: Mapped[str | None] = mapped_column(String(64))


class AuthorizationCode(Base):
    __tablename__ = "idp_authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("idp_grants.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(36))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(Text)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(16))
    auth_time: Mapped[int] = mapped_column(Integer)
    acr: Mapped[str | None] = mapped_column(String(64))
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)
    sid: Mapped[str | None] = mapped_column(String(36))
    claims_locales: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(TS)
    used_at: Mapped[datetime | None] = mapped_column(TS)


class RefreshToken(Base):
    __tablename__ = "idp_refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("idp_grants.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(36))
    scope: Mapped[str] = mapped_column(Text)
    auth_time: Mapped[int] = mapped_column(Integer)
    acr: Mapped[str | None] = mapped_column(String(64))
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)
    sid: Mapped[str | None] = mapped_column(String(36))
    issued_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS)
    rotated_at: Mapped[datetime | None] = mapped_column(TS)
    revoked_at: Mapped[datetime | None] = mapped_column(TS)


class RevokedAccessToken(Base):
    """Denylist of revoked JWT access tokens by `jti`, kept until the token would expire."""

    __tablename__ = "idp_revoked_access_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(TS, index=True)


class SigningKey(Base):
    __tablename__ = "idp_signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(16))
    private_jwk_ct: Mapped[bytes] = mapped_column(LargeBinary)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(TS)
    retired_at: Mapped[datetime | None] = mapped_column(TS)  # no longer signs
    expires_at: Mapped[datetime | None] = mapped_column(TS)  # leaves JWKS


class InitialAccessToken(Base):
    """RFC 7591 initial access tokens that allow dynamic client registration."""

    __tablename__ = "idp_initial_access_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str | None] = mapped_column(ForeignKey("idp_organisations.id"))
    created_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS)
    uses_left: Mapped[int] = mapped_column(Integer, default=1)


class UsedAssertion(Base):
    """`jti` values of private_key_jwt client assertions already seen (replay protection)."""

    __tablename__ = "idp_used_assertions"

    jti_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(TS, index=True)
