"""Tables of second factors: TOTP secrets (sealed through vault), recovery codes (hashed),
passkeys and WebAuthn ceremony challenges."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from idp.tables import TS, Base


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
