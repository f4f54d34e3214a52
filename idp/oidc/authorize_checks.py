"""The authorization endpoint's checks, in node-oidc-provider's style: each reads one request
that Authlib found valid and either decides it (a `Decision`) or passes it on (None).

`AuthorizationFlow.decide` runs them in order — `redirect_uri_named`, `prompt`, `max_age`,
`second_factor`, `prompt_consent`, `consent` — and issues a code once every one has passed.
Under `prompt=none` a check that needs the user answers with the matching OIDC error instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oidc.core.errors import (
    ConsentRequiredError,
    InteractionRequiredError,
    LoginRequiredError,
)

from audit import AuditEvent, AuditSink, Outcome
from idp.clock import aware
from idp.oauth.clients import Client
from idp.oauth.requests import HttpRequest, HttpResponse
from idp.oidc.consent_gate import ConsentGate
from idp.oidc.interactions import ParkedRequest
from idp.signin.mfa.policy import MfaPolicy
from idp.signin.sessions import ActiveSession

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


@dataclass(frozen=True)
class Ask:
    """One authorization request Authlib found valid, with the session it came with."""

    client: Client
    params: Mapping[str, str]  # the request's parameters, first value of each
    scopes: list[str]
    redirect_uri: str | None  # where an error goes: the grant's redirect URI
    session: ActiveSession | None
    resumed: ParkedRequest | None  # the parked request this one resumes, if any
    now: datetime
    park: Callable[[], str]  # parks the request as an interaction and returns its id
    refuse: Callable[[OAuth2Error], Decision]  # the error's answer to the client

    @property
    def prompts(self) -> frozenset[str]:
        return frozenset((self.params.get("prompt") or "").split())

    @property
    def silent(self) -> bool:
        """`prompt=none`: the user must not see a page."""
        return "none" in self.prompts

    @property
    def fresh(self) -> bool:
        """The session's login happened during the interaction this request resumes."""
        return (
            self.session is not None
            and self.resumed is not None
            and self.session.auth_time >= aware(self.resumed.created_at).replace(microsecond=0)
        )

    def interaction(self) -> str:
        """The resumed interaction's id, else that of the request parked now."""
        return self.resumed.id if self.resumed else self.park()

    def refused(self, error: type[OAuth2Error]) -> Decision:
        """`error` sent back to the client with the request's state."""
        return self.refuse(error(redirect_uri=self.redirect_uri, state=self.params.get("state")))


Check = Callable[[Ask], Decision | None]


def parameter_lengths(req: HttpRequest) -> Decision | None:
    """Any parameter longer than MAX_PARAM_LENGTH: an error page, before anything parses it."""
    for _k, v in req.query + req.form:
        if len(v) > MAX_PARAM_LENGTH:
            return ShowError("invalid_request", "A request parameter is too long.")
    return None


def redirect_uri_named(ask: Ask) -> Decision | None:
    """An OpenID request names its redirect_uri (OIDC Core §3.1.2.1), even a lone one's."""
    if "openid" in ask.scopes and not ask.params.get("redirect_uri"):
        return ShowError("invalid_request", "OpenID requests must name a redirect_uri.")
    return None


def prompt(ask: Ask) -> Decision | None:
    """No session, or `prompt=login` without a login during this request: log in."""
    # `select_account` passes on (the browser's one session is the account it selects), and
    # `consent` is prompt_consent's, once the sign-in checks have passed.
    if ask.session is not None and ("login" not in ask.prompts or ask.fresh):
        return None
    return login(ask)


def max_age(ask: Ask, mfa: MfaPolicy | None) -> Decision | None:
    """A session older than `max_age` (or an unreadable `max_age`) re-authenticates: with the
    second factor alone when it has the password and the user has one, else by a full login."""
    session = ask.session
    if session is None or ask.fresh or not too_old(session, ask.params.get("max_age"), ask.now):
        return None
    if "pwd" in session.amr and mfa is not None and mfa.user_enrolled(session.user_id):
        return step_up(ask)
    return login(ask)


def second_factor(ask: Ask, mfa: MfaPolicy, audit: AuditSink) -> Decision | None:
    """The level the client, its organisation, the user or `acr_values` require, which the
    session lacks: the second factor, or the enrolment page when the user has none."""
    session = ask.session
    if session is None or mfa.satisfied(
        session.amr, ask.client, session.user_id, ask.params.get("acr_values")
    ):
        return None
    if not mfa.user_enrolled(session.user_id):
        if ask.silent:
            return ask.refused(InteractionRequiredError)
        audit.record(
            AuditEvent(
                "authorize.mfa_enrolment_required",
                Outcome.DENIED,
                actor=session.user_id,
                subject=session.user_id,
                client_id=ask.client.client_id,
                org_id=ask.client.org_id,
            )
        )
        return NeedEnrolment(ask.client)
    if "pwd" not in session.amr:
        # Not a password session (e.g. only a passkey without UV): the full login, asked for
        # under prompt=none too.
        return NeedLogin(ask.interaction(), ask.params.get("login_hint"), ask.client)
    return step_up(ask)


def prompt_consent(ask: Ask) -> Decision | None:
    """`prompt=consent`: ask for consent, unless the user gave it during this request."""
    if "consent" not in ask.prompts or (ask.resumed and ask.resumed.consented):
        return None
    return consent_page(ask)


def consent(ask: Ask, gate: ConsentGate) -> Decision | None:
    """Requested scopes the user has not consented to for this client: ask for them."""
    session = ask.session
    if session is None or not gate.missing(session.user_id, ask.client.client_id, ask.scopes):
        return None
    return consent_page(ask)


# -- the answers the checks give ------------------------------------------------------------
def login(ask: Ask) -> Decision:
    """The login page for this request, or login_required under `prompt=none`."""
    if ask.silent:
        return ask.refused(LoginRequiredError)
    return NeedLogin(ask.interaction(), ask.params.get("login_hint"), ask.client)


def step_up(ask: Ask) -> Decision:
    """The second-factor page, or interaction_required under `prompt=none`."""
    if ask.silent:
        return ask.refused(InteractionRequiredError)
    return NeedSecondFactor(ask.interaction(), ask.client)


def consent_page(ask: Ask) -> Decision:
    """The consent page for the requested scopes, or consent_required under `prompt=none`."""
    if ask.silent:
        return ask.refused(ConsentRequiredError)
    return NeedConsent(ask.interaction(), ask.client, ask.scopes)


def too_old(session: ActiveSession, max_age: str | None, now: datetime) -> bool:
    """Whether the session's login is older than `max_age` seconds (any unreadable or negative
    value counts as too old)."""
    if max_age is None:
        return False
    try:
        limit = int(max_age)
    except (TypeError, ValueError):
        return True
    return limit < 0 or (now - session.auth_time).total_seconds() > limit
