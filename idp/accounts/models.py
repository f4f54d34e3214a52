"""Tables of the accounts wing: organisations and users. Personal data lives only in *_ct
columns (sealed through vault); exact-match lookups use *_bidx keyed blind indexes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    LargeBinary,
    String,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from idp.tables import TS, Base
from vault.fields import SealedField


class Organisation(Base):
    __tablename__ = "idp_organisations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    # Every sign-in to this organisation's apps needs a second factor (idp/signin/mfa/policy.py).
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
