"""Tables the idp package owns. Personal data lives only in *_ct columns (sealed through vault);
exact-match lookups use *_bidx keyed blind indexes. Secrets are stored only as hashes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vault.fields import SealedField

TS = DateTime(timezone=True)


class Base(DeclarativeBase):
    """Metadata of the tables the idp package owns."""


class Organisation(Base):
    __tablename__ = "idp_organisations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    # Every sign-in to this organisation's apps needs a second factor (idp/mfa/policy.py).
    require_mfa: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class User(Base):
    __tablename__ = "idp_users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the public `sub`
    username_bidx: Mapped[str] = mapped_column(String(64), unique=True)
    username_ct: Mapped[bytes] = mapped_column(LargeBinary)
    email_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    email_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    nik_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    nik_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    name_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Plaintext views of the *_ct columns, sealed and opened through vault on access.
    username = SealedField("idp_users")
    email = SealedField("idp_users")
    nik = SealedField("idp_users")
    phone = SealedField("idp_users")
    name = SealedField("idp_users")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    org_id: Mapped[str | None] = mapped_column(ForeignKey("idp_organisations.id"))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Self-registered and not yet proven to own the email address: cannot sign in.
    pending_verification: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)


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


class SsoSession(Base):
    __tablename__ = "idp_sso_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the public `sid`
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the cookie
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    auth_time: Mapped[datetime] = mapped_column(TS)
    acr: Mapped[str | None] = mapped_column(String(64))
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(TS)
    last_seen_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS)
    revoked_at: Mapped[datetime | None] = mapped_column(TS)
    user_agent: Mapped[str | None] = mapped_column(String(200))


class PendingSignIn(Base):
    """A sign-in whose password was right, waiting for its second factor. Not a session: it
    opens nothing but the second-factor step, from a cookie of its own."""

    __tablename__ = "idp_pending_signins"

    secret_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS, index=True)


class SessionClient(Base):
    """Which clients a session has logged in to: the audience of back-channel logout."""

    __tablename__ = "idp_session_clients"
    __table_args__ = (UniqueConstraint("sid", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sid: Mapped[str] = mapped_column(ForeignKey("idp_sso_sessions.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    first_at: Mapped[datetime] = mapped_column(TS)


class Interaction(Base):
    """A pending authorization request, parked while the user logs in or consents."""

    __tablename__ = "idp_interactions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    params: Mapped[dict[str, str]] = mapped_column(JSON)
    consented: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS)


class SigningKey(Base):
    __tablename__ = "idp_signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(16))
    private_jwk_ct: Mapped[bytes] = mapped_column(LargeBinary)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(TS)
    retired_at: Mapped[datetime | None] = mapped_column(TS)  # no longer signs
    expires_at: Mapped[datetime | None] = mapped_column(TS)  # leaves JWKS


class LogoutDelivery(Base):
    """Outbox of back-channel logout tokens, retried with backoff until delivered."""

    __tablename__ = "idp_logout_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(64))
    uri: Mapped[str] = mapped_column(Text)
    logout_token: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(TS, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(TS)
    gave_up_at: Mapped[datetime | None] = mapped_column(TS)
    last_error: Mapped[str | None] = mapped_column(String(200))


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


class TotpFactor(Base):
    """A user's authenticator-app secret (RFC 6238), sealed through vault. `last_step` is the
    time-step of the last accepted code: a code is accepted only for a later step (no replay)."""

    __tablename__ = "idp_mfa_totp"

    user_id: Mapped[str] = mapped_column(ForeignKey("idp_users.id"), primary_key=True)
    secret_ct: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(TS)
    confirmed_at: Mapped[datetime | None] = mapped_column(TS)  # None while enrolment is pending
    last_step: Mapped[int | None] = mapped_column(Integer)


class RecoveryCode(Base):
    """Single-use recovery codes, stored only as a keyed hash."""

    __tablename__ = "idp_mfa_recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("idp_users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TS)
    used_at: Mapped[datetime | None] = mapped_column(TS)


class WebAuthnCredential(Base):
    """A registered passkey / security key (WebAuthn Level 3)."""

    __tablename__ = "idp_webauthn_credentials"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url
    user_id: Mapped[str] = mapped_column(ForeignKey("idp_users.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE key
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    multi_device: Mapped[bool] = mapped_column(Boolean, default=False)  # synced passkey
    transports: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(TS)
    last_used_at: Mapped[datetime | None] = mapped_column(TS)


class WebAuthnChallenge(Base):
    """A ceremony's challenge, kept server-side: single use, short-lived."""

    __tablename__ = "idp_webauthn_challenges"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str | None] = mapped_column(String(36))
    challenge: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(TS, index=True)


class RateCounter(Base):
    """A brute-force counter (the database backend of idp.ratelimit). Times are epoch seconds
    so one atomic upsert can compare and update them on SQLite and PostgreSQL alike."""

    __tablename__ = "idp_rate_counters"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[float] = mapped_column(Float)
    last_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
    # No attempt is admitted before this: the progressive delay, set as an attempt is counted.
    not_before: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")


class AccountToken(Base):
    """Single-use emailed links (email verification, password reset), stored as SHA-256."""

    __tablename__ = "idp_account_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS)
    used_at: Mapped[datetime | None] = mapped_column(TS)
