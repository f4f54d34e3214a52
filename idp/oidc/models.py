"""Tables of the OpenID Connect wing: parked authorization requests and the outbox of
back-channel logout tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from idp.tables import TS, Base


class Interaction(Base):
    """A pending authorization request, parked while the user logs in or consents."""

    __tablename__ = "idp_interactions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    params: Mapped[dict[str, str]] = mapped_column(JSON)
    consented: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS)


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
