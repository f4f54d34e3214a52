"""The authorization endpoint's decisions (OIDC Core §3.1.2): validate the request through
Authlib, run the checks of idp.oidc.authorize_checks in order, and issue a code when every one
passes — else ask the user to log in, for a second factor or for consent, or answer with an
error, on an error page when the redirect URI cannot be trusted.

`prompt`, `max_age` and the SSO session are handled by those checks rather than by Authlib's
prompt helper, which knows nothing of `max_age` or of re-authentication after `prompt=login`.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import OAuth2Error, scope_to_list
from sqlalchemy.orm import Session

from audit import AuditEvent
from idp.clock import epoch
from idp.oauth.principal import Principal
from idp.oauth.requests import HttpRequest, HttpResponse, OAuthRequest
from idp.oauth.uris import ascii_uri
from idp.oidc import authorize_checks as checks
from idp.oidc.authorize_checks import (
    Ask,
    Check,
    Decision,
    NeedConsent,
    NeedEnrolment,
    NeedLogin,
    NeedSecondFactor,
    Redirect,
    ShowError,
)
from idp.oidc.consent_gate import ConsentGate
from idp.oidc.interactions import Interactions, ParkedRequest
from idp.oidc.provider import OpenIDProvider
from idp.signin.mfa.policy import MfaPolicy
from idp.signin.sessions import ActiveSession, SsoSessions

__all__ = [
    "AuthorizationFlow",
    "Decision",
    "NeedConsent",
    "NeedEnrolment",
    "NeedLogin",
    "NeedSecondFactor",
    "Redirect",
    "ShowError",
]


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
        mfa_checks: tuple[Check, ...] = ()
        if mfa is not None:
            mfa_checks = (partial(checks.second_factor, mfa=mfa, audit=self.ctx.audit),)
        # In this order: the first check that decides answers the request.
        self.checks: tuple[Check, ...] = (
            checks.redirect_uri_named,
            checks.prompt,
            partial(checks.max_age, mfa=mfa),
            *mfa_checks,
            checks.prompt_consent,
            partial(checks.consent, gate=consent),
        )

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

    def refuse(self, err: OAuth2Error) -> Decision:
        """The error to the client's redirect URI when it is trusted, else on an error page."""
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
        oversized = checks.parameter_lengths(req)
        if oversized is not None:
            return oversized
        oreq = self.server.oauth_request(req, db)
        principal = _principal(session) if session else None
        try:
            grant = self.server.get_consent_grant(oreq, end_user=principal)
        except OAuth2Error as err:
            return self.refuse(err)
        ask = Ask(
            client=oreq.client,
            params=dict(oreq.payload.data),
            scopes=scope_to_list(oreq.scope or "") or [],
            redirect_uri=grant.redirect_uri,
            session=session,
            resumed=resumed,
            now=self.ctx.clock(),
            park=lambda: self.interactions.park(dict(req.query + req.form)),
            refuse=self.refuse,
        )
        for check in self.checks:
            decision = check(ask)
            if decision is not None:
                return decision
        assert session is not None, "checks.prompt passes on no request without a session"
        return self._issue_code(ask, session, oreq, grant)

    def _issue_code(
        self, ask: Ask, session: ActiveSession, oreq: OAuthRequest, grant: Any
    ) -> Decision:
        """Every check passed: the code, to the client's redirect URI."""
        client = ask.client
        principal = _principal(session)
        oreq.user = principal
        self.sessions.add_client(session.sid, client.client_id)
        # Issue the code in a short write transaction of its own; `db` only ever read.
        with self.ctx.db.begin() as wdb:
            oreq.db = wdb
            resp = self.server.create_authorization_response(
                oreq, grant_user=principal, grant=grant
            )
        if ask.resumed is not None:
            self.interactions.finish(ask.resumed.id)
        self.ctx.audit.record(
            AuditEvent(
                "authorize.code",
                actor=session.user_id,
                subject=session.user_id,
                client_id=client.client_id,
                org_id=client.org_id,
                detail={"scope": " ".join(ask.scopes)},
            ),
        )
        return Redirect(self._with_iss(resp))

    def deny(self, req: HttpRequest, db: Session) -> Decision:
        """The user refused consent: access_denied back to the client."""
        from authlib.oauth2.rfc6749 import AccessDeniedError

        oreq = self.server.oauth_request(req, db)
        try:
            grant = self.server.get_consent_grant(oreq, end_user=None)
        except OAuth2Error as err:
            return self.refuse(err)
        denied = AccessDeniedError(
            redirect_uri=grant.redirect_uri, state=oreq.payload.data.get("state")
        )
        return self.refuse(denied)


def _principal(session: ActiveSession) -> Principal:
    return Principal(
        user_id=session.user_id,
        auth_time=epoch(session.auth_time),
        acr=session.acr,
        amr=session.amr,
        sid=session.sid,
    )
