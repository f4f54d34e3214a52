"""Logout that reaches every app: RP-initiated logout (OIDC RP-Initiated Logout 1.0) and
back-channel logout (OIDC Back-Channel Logout 1.0).

Ending a session queues one signed logout token per client that took part in it and registered
a `backchannel_logout_uri`. Delivery happens off the user's request, from an outbox that every
worker drains, retried with backoff while a client is down.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oidc.rpinitiated import EndSessionEndpoint, EndSessionRequest
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Engine

from audit import AuditEvent, Outcome
from idp.clock import epoch
from idp.oauth.context import ServerContext
from idp.oauth.keys import InvalidSignature
from idp.oauth.requests import OAuthRequest
from idp.oidc.models import LogoutDelivery
from idp.outbound import OutboundRefused
from idp.signin.sessions import ActiveSession, SsoSessions
from storage import UnitOfWork
from storage.statements import DriverStatements

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TTL = 120
MAX_ATTEMPTS = 8
BACKOFF_BASE = 2.0  # seconds; attempt n waits BACKOFF_BASE ** n, capped below

log = logging.getLogger("satupintu.logout")


class EndSession(EndSessionEndpoint):
    def __init__(self, ctx: ServerContext) -> None:
        super().__init__()
        self.ctx = ctx

    def get_server_jwks(self) -> dict[str, Any]:
        return self.ctx.keys.jwks()

    def _validate_id_token_hint(self, id_token_hint: str) -> dict[str, Any]:
        """An ID token this provider issued (§2), and only that: an access token or a logout
        token is signed with the same keys, but is not a hint (`typ` tells them apart)."""
        try:
            claims = self.ctx.keys.verify(id_token_hint)
        except InvalidSignature as exc:
            raise InvalidRequestError("id_token_hint is not an ID token of this provider") from exc
        header = claims.pop("_header", {})
        if (
            str(header.get("typ", "JWT")).upper() != "JWT"
            or claims.get("iss") != self.ctx.issuer
            or not isinstance(claims.get("aud"), str)
            or not isinstance(claims.get("sub"), str)
        ):
            raise InvalidRequestError("id_token_hint is not an ID token of this provider")
        return claims

    def end_session(self, end_session_request: EndSessionRequest) -> None:
        """Not used: LogoutService ends the session once the request is confirmed."""


# A logout token waiting to be (re)sent at `now`.
_DUE_AT = (
    LogoutDelivery.delivered_at.is_(None),
    LogoutDelivery.gave_up_at.is_(None),
    LogoutDelivery.next_attempt_at <= bindparam("now"),
)
# Is any due? Asked before claiming any.
_ANY_DUE = select(LogoutDelivery.id).where(*_DUE_AT).limit(1)


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int
    retried: int
    gave_up: int


class LogoutService:
    def __init__(self, ctx: ServerContext, sessions: SsoSessions, engine: Engine) -> None:
        self.ctx = ctx
        self.sessions = sessions
        self._engine = engine  # for the driver's read (_anything_due)
        self.endpoint = EndSession(ctx)
        self._any_due = DriverStatements(_ANY_DUE)
        self.endpoint.server = _ClientLookup(ctx)

    def validate(self, request: OAuthRequest) -> EndSessionRequest:
        """Raises Authlib's InvalidRequestError for a bad id_token_hint or client mismatch."""
        return self.endpoint.validate_request(request)

    def must_ask(self, request: EndSessionRequest, session: ActiveSession | None) -> bool:
        """Whether to ask the user before signing out (RP-Initiated Logout §2, §6).

        With a session, going ahead unasked needs an ID token of that very session as the
        hint: its `sub` and `sid` as the hint's client sees them. Any other ID token of ours
        (another user's, an older session's) would let a link end someone's session and send
        them to its app. Without a session there is nothing to end: a valid hint suffices."""
        claims = request.id_token_claims
        if claims is None or request.client is None:
            return True
        if session is None:
            return False
        client = request.client
        return not (
            claims.get("sub") == self.ctx.subjects.for_client(client, session.user_id)
            and claims.get("sid") == self.ctx.subjects.sid_for(client, session.sid)
        )

    def end(self, sid: str, *, actor: str, reason: str = "logout") -> ActiveSession | None:
        """End the session and queue back-channel logout for every client in it."""
        ended = self.sessions.revoke(sid, actor=actor, reason=reason)
        if ended is None:
            return None
        now = self.ctx.clock()
        with self.ctx.db.begin() as s:
            for client_id in self.sessions.clients(sid):
                client = self.ctx.clients.get(client_id)
                if client is None or not client.backchannel_logout_uri:
                    continue
                s.add(
                    LogoutDelivery(
                        client_id=client_id,
                        uri=client.backchannel_logout_uri,
                        logout_token=self.logout_token(client, ended),
                        attempts=0,
                        next_attempt_at=now,
                    )
                )
        return ended

    def _anything_due(self, now: datetime) -> bool:
        """Whether a delivery is due, in one read on the driver: every worker asks this about
        once a second, almost always to hear no, and a claiming transaction cost several times
        the read (docs/benchmarks.md)."""
        return bool(self._any_due.read(self._engine, {"now": now}))

    def logout_token(self, client: Any, session: ActiveSession) -> str:
        now = epoch(self.ctx.clock())
        claims = {
            "iss": self.ctx.issuer,
            "aud": client.client_id,
            "iat": now,
            "exp": now + LOGOUT_TOKEN_TTL,
            "jti": uuid.uuid4().hex,
            "sub": self.ctx.subjects.for_client(client, session.user_id),
            "sid": self.ctx.subjects.sid_for(client, session.sid),
            "events": {BACKCHANNEL_EVENT: {}},
        }
        return self.ctx.keys.sign(claims, client.id_token_signed_response_alg, typ="logout+jwt")

    def deliver_due(self, limit: int = 20) -> DeliveryReport:
        """POST due logout tokens. Safe to run on every worker at once: each row is claimed by
        pushing its next attempt into the future before the (slow) HTTP call."""
        now = self.ctx.clock()
        if not self._anything_due(now):
            return DeliveryReport(0, 0, 0)
        with self.ctx.db.begin() as s:
            stmt = (
                select(LogoutDelivery)
                .where(*_DUE_AT)
                .order_by(LogoutDelivery.next_attempt_at)
                .limit(limit)
            )
            if s.bind is not None and s.bind.dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            rows = list(s.scalars(stmt, {"now": now}))
            for row in rows:
                row.attempts += 1
                row.next_attempt_at = now + timedelta(seconds=60)
            claimed = [(r.id, r.client_id, r.uri, r.logout_token, r.attempts) for r in rows]
        delivered = retried = gave_up = 0
        for rid, client_id, uri, token, attempts in claimed:
            error = self._post(uri, token)
            with self.ctx.db.begin() as s:
                found = s.get(LogoutDelivery, rid)
                if found is None:
                    continue
                row = found
                detail: dict[str, Any] = {"attempt": attempts}
                if error is None:
                    row.delivered_at = self.ctx.clock()
                    delivered += 1
                elif attempts >= MAX_ATTEMPTS:
                    row.gave_up_at = self.ctx.clock()
                    row.last_error = error[:200]
                    gave_up += 1
                    detail.update(error=error[:100], gave_up=True)
                    _log_failure(client_id, uri, error, "gave up after the last attempt")
                else:
                    wait = min(BACKOFF_BASE**attempts, 3600.0)
                    row.next_attempt_at = self.ctx.clock() + timedelta(seconds=wait)
                    row.last_error = error[:200]
                    retried += 1
                    detail.update(error=error[:100])
                    _log_failure(client_id, uri, error, f"retry in {wait:.0f} s")
                self.ctx.audit.record(
                    AuditEvent(
                        "logout.backchannel",
                        Outcome.SUCCESS if error is None else Outcome.FAILURE,
                        actor="system",
                        client_id=client_id,
                        detail=detail,
                    ),
                    work=UnitOfWork.of(s),
                )
        return DeliveryReport(delivered, retried, gave_up)

    def _post(self, uri: str, token: str) -> str | None:
        try:
            resp = self.ctx.outbound.request(
                "POST",
                uri,
                data={"logout_token": token},
                headers={"Cache-Control": "no-store"},
            )
        except OutboundRefused as exc:
            return str(exc) or "refused"
        if resp.status_code == 200:
            return None
        return f"HTTP {resp.status_code}"

    def pending(self) -> list[LogoutDelivery]:
        with self.ctx.db() as s:
            stmt = select(LogoutDelivery).where(
                LogoutDelivery.delivered_at.is_(None), LogoutDelivery.gave_up_at.is_(None)
            )
            return list(s.scalars(stmt))


def _log_failure(client_id: str, uri: str, error: str, then: str) -> None:
    """An operator's view of a delivery that did not happen: which app, which host, why.
    Never the logout token or the user: the token is a bearer credential for the app."""
    host = urlsplit(uri).hostname or "?"
    log.warning(
        "back-channel logout to client %s at %s failed: %s; %s", client_id, host, error, then
    )


class _ClientLookup:
    """The one thing Authlib's EndSessionEndpoint asks of its server."""

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx

    def query_client(self, client_id: str) -> Any:
        return self.ctx.clients.get(client_id)
