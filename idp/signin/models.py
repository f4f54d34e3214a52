"""Tables of the sign-in wing: SSO sessions and the apps they reached, sign-ins waiting for a
second factor, and brute-force counters. Secrets are stored only as hashes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from idp.tables import TS, Base


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


class RateCounter(Base):
    """A brute-force counter (the database backend of idp.signin.ratelimit). Times are epoch seconds
    so one atomic upsert can compare and update them on SQLite and PostgreSQL alike."""

    __tablename__ = "idp_rate_counters"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[float] = mapped_column(Float)
    last_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
    # No attempt is admitted before this: the progressive delay, set as an attempt is counted.
    not_before: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
