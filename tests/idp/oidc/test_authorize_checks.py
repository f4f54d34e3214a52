"""Each check of the authorization endpoint against the Decision it gives, without HTTP: real
clients, SSO sessions, interactions, consent records and second factors on the test database."""

from __future__ import annotations

from dataclasses import replace

import pyotp
import pytest
from sqlalchemy import func, select

from idp.oauth.clients import Client
from idp.oauth.requests import HttpRequest
from idp.oidc import authorize_checks as checks
from idp.oidc.authorize_checks import (
    Ask,
    Decision,
    NeedConsent,
    NeedEnrolment,
    NeedLogin,
    NeedSecondFactor,
    Redirect,
    ShowError,
)
from idp.oidc.interactions import ParkedRequest
from idp.oidc.models import Interaction
from idp.signin.mfa.policy import ACR_MFA, acr_for
from idp.signin.sessions import ActiveSession
from tests.oidc_rp import query_of

PASSWORD = "kata-sandi-rahasia"
REDIRECT = "https://app.example/cb"
STATE = "keadaan-1"


@pytest.fixture
def user(services) -> str:
    return services.users.create(username="dewi", password=PASSWORD).sub


def make_client(
    services, *, org_id: str | None = None, skip_consent: bool = False, **meta
) -> Client:
    client, _secret = services.clients.create(
        name="Aplikasi Uji",
        metadata={
            "redirect_uris": [REDIRECT],
            "scope": "openid profile email",
            "grant_types": ["authorization_code"],
            **meta,
        },
        org_id=org_id,
        skip_consent=skip_consent,
    )
    return client


@pytest.fixture
def client(services) -> Client:
    return make_client(services)


def signed_in(services, user: str, amr: list[str] | None = None) -> ActiveSession:
    amr = amr or ["pwd"]
    session, _cookie = services.sessions.establish(user, acr=acr_for(amr), amr=amr)
    return session


def params_for(client: Client, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "state": STATE,
        **extra,
    }


def ask(
    services,
    client: Client,
    session: ActiveSession | None,
    *,
    resumed: ParkedRequest | None = None,
    **extra: str,
) -> Ask:
    params = params_for(client, **extra)
    return Ask(
        client=client,
        params=params,
        scopes=params["scope"].split(),
        redirect_uri=REDIRECT,
        session=session,
        resumed=resumed,
        now=services.clock(),
        park=lambda: services.interactions.park(params),
        refuse=services.flow.refuse,
    )


def parked(services, client: Client, **extra: str) -> ParkedRequest:
    got = services.interactions.get(services.interactions.park(params_for(client, **extra)))
    assert got is not None
    return got


def parked_count(services) -> int:
    with services.db() as s:
        return int(s.scalar(select(func.count()).select_from(Interaction)) or 0)


def error_of(services, decision: Decision | None) -> str:
    """The OAuth error sent back to the client, checked to carry the state and the issuer."""
    assert isinstance(decision, Redirect), decision
    location = decision.response.location or ""
    assert location.startswith(REDIRECT + "?")
    q = query_of(location)
    assert q["state"] == STATE and q["iss"] == services.settings.issuer_base
    assert "code" not in q
    return q["error"]


def enrol_totp(services, user: str) -> None:
    secret = services.factors.totp.begin(user, "dewi").secret
    services.clock.align()
    code = pyotp.TOTP(secret).at(services.clock(), counter_offset=-1)
    assert services.factors.totp.confirm(user, code, actor=user)


# -- parameter_lengths, redirect_uri_named --------------------------------------------------
def test_an_oversized_parameter_is_an_error_page():
    req = HttpRequest("GET", "http://localhost:8000/authorize", {}, query=[("state", "x" * 2049)])
    assert checks.parameter_lengths(req) == ShowError(
        "invalid_request", "A request parameter is too long."
    )
    req.query = [("state", "x" * 2048)]
    assert checks.parameter_lengths(req) is None


def test_an_openid_request_must_name_its_redirect_uri(services, client):
    a = ask(services, client, None)
    assert checks.redirect_uri_named(a) is None
    unnamed = replace(a, params={k: v for k, v in a.params.items() if k != "redirect_uri"})
    decision = checks.redirect_uri_named(unnamed)
    assert isinstance(decision, ShowError) and decision.error == "invalid_request"
    plain_oauth = replace(unnamed, scopes=["profile"])
    assert checks.redirect_uri_named(plain_oauth) is None


# -- prompt ---------------------------------------------------------------------------------
def test_no_session_asks_for_login_and_parks_the_request(services, client):
    decision = checks.prompt(ask(services, client, None, login_hint="dewi@kota.id"))
    assert isinstance(decision, NeedLogin) and decision.client == client
    assert decision.login_hint == "dewi@kota.id"
    request = services.interactions.get(decision.interaction)
    assert request.params["client_id"] == client.client_id
    assert request.params["login_hint"] == "dewi@kota.id"


def test_prompt_none_without_session_is_login_required_and_parks_nothing(services, client):
    assert error_of(services, checks.prompt(ask(services, client, None, prompt="none"))) == (
        "login_required"
    )
    assert parked_count(services) == 0


@pytest.mark.parametrize("prompt", [None, "select_account", "consent"])
def test_a_session_passes_on(services, client, user, prompt):
    extra = {"prompt": prompt} if prompt else {}
    assert checks.prompt(ask(services, client, signed_in(services, user), **extra)) is None


def test_prompt_login_asks_for_login_despite_the_session(services, client, user):
    decision = checks.prompt(ask(services, client, signed_in(services, user), prompt="login"))
    assert isinstance(decision, NeedLogin)


def test_prompt_login_passes_on_once_the_user_logged_in_during_the_request(services, client, user):
    waiting = parked(services, client, prompt="login")
    services.clock.advance(5)
    session = signed_in(services, user)
    assert checks.prompt(ask(services, client, session, resumed=waiting, prompt="login")) is None


def test_prompt_login_resumed_with_an_older_session_asks_again_in_the_same_interaction(
    services, client, user
):
    session = signed_in(services, user)
    services.clock.advance(5)
    waiting = parked(services, client, prompt="login")
    before = parked_count(services)
    decision = checks.prompt(ask(services, client, session, resumed=waiting, prompt="login"))
    assert isinstance(decision, NeedLogin) and decision.interaction == waiting.id
    assert parked_count(services) == before


# -- max_age --------------------------------------------------------------------------------
def test_max_age_passes_on_a_recent_login(services, client, user):
    session = signed_in(services, user)
    services.clock.advance(30)
    assert checks.max_age(ask(services, client, session, max_age="60"), services.mfa) is None
    assert checks.max_age(ask(services, client, session), services.mfa) is None  # none asked


def test_max_age_exceeded_asks_for_login_again(services, client, user):
    session = signed_in(services, user)
    services.clock.advance(120)
    decision = checks.max_age(ask(services, client, session, max_age="60"), services.mfa)
    assert isinstance(decision, NeedLogin)
    silent = checks.max_age(ask(services, client, session, max_age="60", prompt="none"), None)
    assert error_of(services, silent) == "login_required"


@pytest.mark.parametrize("max_age", ["-1", "soon", ""])
def test_an_unreadable_max_age_counts_as_exceeded(services, client, user, max_age):
    session = signed_in(services, user)
    decision = checks.max_age(ask(services, client, session, max_age=max_age), services.mfa)
    assert isinstance(decision, NeedLogin)


def test_max_age_exceeded_with_a_second_factor_asks_only_for_it(services, client, user):
    enrol_totp(services, user)
    session = signed_in(services, user)
    services.clock.advance(120)
    decision = checks.max_age(ask(services, client, session, max_age="60"), services.mfa)
    assert isinstance(decision, NeedSecondFactor) and decision.client == client
    silent = ask(services, client, session, max_age="60", prompt="none")
    assert error_of(services, checks.max_age(silent, services.mfa)) == "interaction_required"


def test_max_age_passes_on_a_login_made_during_the_request(services, client, user):
    waiting = parked(services, client, max_age="0")
    services.clock.advance(5)
    session = signed_in(services, user)
    services.clock.advance(5)
    a = ask(services, client, session, resumed=waiting, max_age="0")
    assert checks.max_age(a, services.mfa) is None


# -- second_factor --------------------------------------------------------------------------
def test_a_client_requiring_mfa_asks_a_password_session_for_the_second_factor(services, user):
    strict = make_client(services, require_mfa=True)
    enrol_totp(services, user)
    session = signed_in(services, user)
    decision = checks.second_factor(ask(services, strict, session), services.mfa, services.audit)
    assert isinstance(decision, NeedSecondFactor)
    done = signed_in(services, user, ["pwd", "otp", "mfa"])
    assert checks.second_factor(ask(services, strict, done), services.mfa, services.audit) is None


def test_an_organisation_requiring_mfa_asks_for_the_second_factor(services, user):
    org = services.orgs.create("Dinas Kesehatan")
    services.orgs.update(org.id, require_mfa=True)
    enrol_totp(services, user)
    decision = checks.second_factor(
        ask(services, make_client(services, org_id=org.id), signed_in(services, user)),
        services.mfa,
        services.audit,
    )
    assert isinstance(decision, NeedSecondFactor)


def test_acr_values_asking_for_mfa_step_up_or_interaction_required(services, client, user):
    enrol_totp(services, user)
    session = signed_in(services, user)
    a = ask(services, client, session, acr_values=ACR_MFA)
    assert isinstance(checks.second_factor(a, services.mfa, services.audit), NeedSecondFactor)
    silent = ask(services, client, session, acr_values=ACR_MFA, prompt="none")
    decision = checks.second_factor(silent, services.mfa, services.audit)
    assert error_of(services, decision) == "interaction_required"


def test_a_password_session_passes_on_when_nothing_requires_mfa(services, client, user):
    session = signed_in(services, user)
    assert (
        checks.second_factor(ask(services, client, session), services.mfa, services.audit) is None
    )


def test_a_user_with_a_second_factor_always_uses_it(services, client, user):
    enrol_totp(services, user)
    a = ask(services, client, signed_in(services, user))
    assert isinstance(checks.second_factor(a, services.mfa, services.audit), NeedSecondFactor)


def test_required_mfa_without_a_factor_is_the_enrolment_page_and_audited(services, user):
    strict = make_client(services, require_mfa=True)
    session = signed_in(services, user)
    silent = ask(services, strict, session, prompt="none")
    decision = checks.second_factor(silent, services.mfa, services.audit)
    assert error_of(services, decision) == "interaction_required"
    assert not services.audit.recent(type_prefix="authorize.mfa_enrolment_required")
    decision = checks.second_factor(ask(services, strict, session), services.mfa, services.audit)
    assert decision == NeedEnrolment(strict)
    (event,) = services.audit.recent(type_prefix="authorize.mfa_enrolment_required")
    assert event.subject == user and event.client_id == strict.client_id


def test_required_mfa_for_a_session_without_password_is_a_full_login(services, user):
    strict = make_client(services, require_mfa=True)
    enrol_totp(services, user)
    session = signed_in(services, user, ["hwk"])
    decision = checks.second_factor(ask(services, strict, session), services.mfa, services.audit)
    assert isinstance(decision, NeedLogin)


# -- prompt_consent, consent ----------------------------------------------------------------
def test_prompt_consent_asks_again_unless_given_during_the_request(services, client, user):
    session = signed_in(services, user)
    services.consent.grant(user, client.client_id, ["profile"], evidence={})
    decision = checks.prompt_consent(ask(services, client, session, prompt="consent"))
    assert isinstance(decision, NeedConsent) and decision.scopes == ["openid", "profile"]
    waiting = parked(services, client, prompt="consent")
    services.interactions.mark_consented(waiting.id)
    consented = services.interactions.get(waiting.id)
    a = ask(services, client, session, resumed=consented, prompt="consent")
    assert checks.prompt_consent(a) is None
    assert checks.prompt_consent(ask(services, client, session)) is None


def test_missing_consent_asks_for_it(services, client, user):
    session = signed_in(services, user)
    decision = checks.consent(ask(services, client, session), services.consent)
    assert isinstance(decision, NeedConsent) and decision.client == client
    assert services.interactions.get(decision.interaction) is not None
    silent = ask(services, client, session, prompt="none")
    assert error_of(services, checks.consent(silent, services.consent)) == "consent_required"


def test_consent_given_passes_on_and_withdrawn_asks_again(services, client, user):
    session = signed_in(services, user)
    services.consent.grant(user, client.client_id, ["profile"], evidence={})
    assert checks.consent(ask(services, client, session), services.consent) is None
    wider = ask(services, client, session, scope="openid profile email")
    assert isinstance(checks.consent(wider, services.consent), NeedConsent)
    services.consent.withdraw(user, client.client_id)
    assert isinstance(checks.consent(ask(services, client, session), services.consent), NeedConsent)


def test_openid_alone_needs_no_consent(services, client, user):
    a = ask(services, client, signed_in(services, user), scope="openid")
    assert checks.consent(a, services.consent) is None


def test_a_trusted_first_party_client_skips_consent(services, user):
    first_party = make_client(services, skip_consent=True)
    a = ask(services, first_party, signed_in(services, user), scope="openid profile email")
    assert checks.consent(a, services.consent) is None
