"""The authorization endpoint's decisions (OIDC Core §3.1.2): validate the request through
Authlib, then decide between issuing a code, asking the user to log in, asking for consent, or
answering with an error — on an error page when the redirect URI cannot be trusted.

`prompt`, `max_age` and the SSO session are handled here rather than by Authlib's prompt helper,
which knows nothing of `max_age` or of re-authentication after `prompt=login`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import OAuth2Error, scope_to_list
from authlib.oidc.core.errors import (
    ConsentRequiredError,
    InteractionRequiredError,
    LoginRequiredError,
)
from sqlalchemy.orm import Session

from audit import AuditEvent, Outcome
from idp.clock import aware, epoch
from idp.oauth.clients import Client
from idp.oauth.principal import Principal
from idp.oauth.requests import HttpRequest, HttpResponse
from idp.oauth.uris import ascii_uri
from idp.oidc.consent_gate import ConsentGate
from idp.oidc.interactions import Interactions, ParkedRequest
from idp.oidc.provider import OpenIDProvider
from idp.signin.mfa.policy import MfaPolicy
from idp.signin.sessions import ActiveSession, SsoSessions

MAX_PARAM_LENGTH = 2048


@dataclass(frozen=True)
class ShowError:
    """The client or redirect URI is not trustworthy: tell the user, never redirect."""

    error: str
    description: str


@dataclass(frozen=True)
class Redirect:
    response: HttpResponse


@dataclass(frozen=True)
class NeedLogin:
    interaction: str
    login_hint: str | None
    client: Client


@dataclass(frozen=True)
class NeedConsent:
    interaction: str
    client: Client
    scopes: list[str]


@dataclass(frozen=True)
class NeedSecondFactor:
    """Step-up: the session has the password; ask only for the second factor."""

    interaction: str
    client: Client


@dataclass(frozen=True)
class NeedEnrolment:
    """A second factor is required but the user has none: the authorization cannot complete."""

    client: Client


Decision = ShowError | Redirect | NeedLogin | NeedConsent | NeedSecondFactor | NeedEnrolment


class AuthorizationFlow:
    def __init__(
        self,
        server: OpenIDProvider,
        sessions: SsoSessions,
        interactions: Interactions,
        consent: ConsentGate,
        mfa: MfaPolicy | None = None,
    ) -> None:
        self.mfa = mfa
        self.server = server
        self.ctx = server.ctx
        self.sessions = sessions
        self.interactions = interactions
        self.consent = consent

    def _with_iss(self, resp: HttpResponse) -> HttpResponse:
        """RFC 9207: every authorization response, errors included, names the issuer; and it
        goes to the redirect URI as a URI (idp.oauth.uris.ascii_uri: an internationalised one was
        registered as an IRI), so the Location header is ASCII."""
        loc = resp.location
        if loc:
            if "iss" not in dict(parse_qsl(urlsplit(loc).query)):
                loc = add_params_to_uri(loc, {"iss": self.ctx.issuer})
            resp.headers = [(k, v) for k, v in resp.headers if k.lower() != "location"]
            resp.headers.append(("Location", ascii_uri(loc)))
        return resp

    def _error(self, err: OAuth2Error) -> Decision:
        if err.redirect_uri:
            return Redirect(self._with_iss(self.server.handle_error_response(None, err)))
        return ShowError(err.error or "invalid_request", err.get_error_description() or "")

    def decide(
        self,
        req: HttpRequest,
        db: Session,
        session: ActiveSession | None,
        resumed: ParkedRequest | None = None,
    ) -> Decision:
        for _k, v in req.query + req.form:
            if len(v) > MAX_PARAM_LENGTH:
                return ShowError("invalid_request", "A request parameter is too long.")
        oreq = self.server.oauth_request(req, db)
        principal = _principal(session) if session else None
        try:
            grant = self.server.get_consent_grant(oreq, end_user=principal)
        except OAuth2Error as err:
            return self._error(err)
        client: Client = oreq.client
        params: dict[str, Any] = dict(oreq.payload.data)
        redirect_uri = grant.redirect_uri
        state = params.get("state")
        scopes = scope_to_list(oreq.scope or "") or []
        if "openid" in scopes and not params.get("redirect_uri"):
            return ShowError("invalid_request", "OpenID requests must name a redirect_uri.")
        prompts = set((params.get("prompt") or "").split())

        fresh = (
            session is not None
            and resumed is not None
            and session.auth_time >= aware(resumed.created_at).replace(microsecond=0)
        )
        step_up = False
        if session is not None and not fresh:
            if "login" in prompts:
                session = None
            elif _too_old(session, params, self.ctx.clock()):
                # max_age: a session that has the password re-authenticates with the second
                # factor alone when the user has one; otherwise the full login again.
                if "pwd" in session.amr and self.mfa and self.mfa.user_enrolled(session.user_id):
                    step_up = True
                else:
                    session = None
        if session is None:
            if "none" in prompts:
                return self._error(LoginRequiredError(redirect_uri=redirect_uri, state=state))
            iid = resumed.id if resumed else self.interactions.park(dict(req.query + req.form))
            return NeedLogin(iid, params.get("login_hint"), client)
        if self.mfa is not None and not self.mfa.satisfied(
            session.amr, client, session.user_id, params.get("acr_values")
        ):
            if not self.mfa.user_enrolled(session.user_id):
                if "none" in prompts:
                    needed = InteractionRequiredError(redirect_uri=redirect_uri, state=state)
                    return self._error(needed)
                self._audit_mfa_missing(session, client)
                return NeedEnrolment(client)
            if "pwd" not in session.amr:
                # Not a password session (e.g. only a passkey without UV): full login.
                iid = resumed.id if resumed else self.interactions.park(dict(req.query + req.form))
                return NeedLogin(iid, params.get("login_hint"), client)
            step_up = True
        if step_up:
            if "none" in prompts:
                return self._error(InteractionRequiredError(redirect_uri=redirect_uri, state=state))
            iid = resumed.id if resumed else self.interactions.park(dict(req.query + req.form))
            return NeedSecondFactor(iid, client)

        principal = _principal(session)
        oreq.user = principal
        wants_consent = "consent" in prompts and not (resumed and resumed.consented)
        missing = self.consent.missing(session.user_id, client.client_id, scopes)
        if wants_consent or missing:
            if "none" in prompts:
                return self._error(ConsentRequiredError(redirect_uri=redirect_uri, state=state))
            iid = resumed.id if resumed else self.interactions.park(dict(req.query + req.form))
            return NeedConsent(iid, client, scopes)

        self.sessions.add_client(session.sid, client.client_id)
        # Issue the code in a short write transaction of its own; `db` only ever read.
        with self.ctx.db.begin() as wdb:
            oreq.db = wdb
            resp = self.server.create_authorization_response(
                oreq, grant_user=principal, grant=grant
            )
        if resumed is not None:
            self.interactions.finish(resumed.id)
        self.ctx.audit.record(
            AuditEvent(
                "authorize.code",
                actor=session.user_id,
                subject=session.user_id,
                client_id=client.client_id,
                org_id=client.org_id,
                detail={"scope": " ".join(scopes)},
            ),
        )
        return Redirect(self._with_iss(resp))

    def _audit_mfa_missing(self, session: ActiveSession, client: Client) -> None:
        self.ctx.audit.record(
            AuditEvent(
                "authorize.mfa_enrolment_required",
                Outcome.DENIED,
                actor=session.user_id,
                subject=session.user_id,
                client_id=client.client_id,
                org_id=client.org_id,
            )
        )

    def deny(self, req: HttpRequest, db: Session) -> Decision:
        """The user refused consent: access_denied back to the client."""
        from authlib.oauth2.rfc6749 import AccessDeniedError

        oreq = self.server.oauth_request(req, db)
        try:
            grant = self.server.get_consent_grant(oreq, end_user=None)
        except OAuth2Error as err:
            return self._error(err)
        denied = AccessDeniedError(
            redirect_uri=grant.redirect_uri, state=oreq.payload.data.get("state")
        )
        return self._error(denied)


def _principal(session: ActiveSession) -> Principal:
    return Principal(
        user_id=session.user_id,
        auth_time=epoch(session.auth_time),
        acr=session.acr,
        amr=session.amr,
        sid=session.sid,
    )


def _too_old(session: ActiveSession, params: dict[str, Any], now: datetime) -> bool:
    max_age = params.get("max_age")
    if max_age is not None:
        try:
            limit = int(max_age)
        except (TypeError, ValueError):
            return True
        if limit < 0 or (now - session.auth_time).total_seconds() > limit:
            return True
    return False
