"""AuthorizationFlow.decide without HTTP: Authlib's validation first, then the checks in their
order, and a code once every one has passed."""

from __future__ import annotations

from urllib.parse import urlencode

import pyotp
import pytest

from idp.oauth.clients import Client
from idp.oauth.requests import HttpRequest
from idp.oidc.authorize import (
    Decision,
    NeedConsent,
    NeedLogin,
    NeedSecondFactor,
    Redirect,
    ShowError,
)
from idp.oidc.interactions import ParkedRequest
from idp.signin.sessions import ActiveSession
from tests.oidc_rp import query_of

PASSWORD = "kata-sandi-rahasia"
REDIRECT = "https://app.example/cb"


@pytest.fixture
def user(services) -> str:
    return services.users.create(username="dewi", password=PASSWORD).sub


@pytest.fixture
def client(services) -> Client:
    client, _secret = services.clients.create(
        name="Aplikasi Uji",
        metadata={"redirect_uris": [REDIRECT], "scope": "openid profile"},
    )
    return client


@pytest.fixture
def session(services, user) -> ActiveSession:
    return services.sessions.establish(user, acr=None, amr=["pwd"])[0]


def request(services, client_id: str, **extra: str) -> HttpRequest:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "state": "keadaan",
        **extra,
    }
    url = services.settings.issuer_base + "/authorize?" + urlencode(params)
    return HttpRequest("GET", url, {}, query=list(params.items()))


def decide(
    services, req: HttpRequest, session: ActiveSession | None, resumed: ParkedRequest | None = None
) -> Decision:
    with services.db() as db:
        return services.flow.decide(req, db, session, resumed)


def callback(services, decision: Decision) -> dict[str, str]:
    assert isinstance(decision, Redirect), decision
    location = decision.response.location or ""
    assert location.startswith(REDIRECT + "?")
    q = query_of(location)
    assert q["state"] == "keadaan" and q["iss"] == services.settings.issuer_base
    return q


def test_untrustworthy_requests_are_error_pages(services, client):
    unknown = decide(services, request(services, "tidak-ada"), None)
    assert isinstance(unknown, ShowError) and unknown.error == "invalid_client"
    elsewhere = decide(
        services, request(services, client.client_id, redirect_uri="https://evil.example/cb"), None
    )
    assert isinstance(elsewhere, ShowError) and elsewhere.error == "invalid_request"
    long = decide(services, request(services, "tidak-ada", state="x" * 3000), None)
    assert long == ShowError("invalid_request", "A request parameter is too long.")


def test_an_invalid_request_to_a_registered_redirect_uri_goes_back_to_the_client(services, client):
    bad = decide(services, request(services, client.client_id, response_type="token"), None)
    assert callback(services, bad)["error"] == "unsupported_response_type"


def test_prompt_login_comes_before_second_factor_and_consent(services, client, user, session):
    secret = services.factors.totp.begin(user, "dewi").secret
    services.clock.align()
    assert services.factors.totp.confirm(
        user, pyotp.TOTP(secret).at(services.clock(), counter_offset=-1), actor=user
    )
    decision = decide(services, request(services, client.client_id, prompt="login"), session)
    assert isinstance(decision, NeedLogin)
    decision = decide(services, request(services, client.client_id), session)
    assert isinstance(decision, NeedSecondFactor)  # consent is missing too, and asked later


def test_consent_is_asked_last_then_a_code_is_issued(services, client, user, session):
    decision = decide(services, request(services, client.client_id), session)
    assert isinstance(decision, NeedConsent) and decision.scopes == ["openid", "profile"]
    waiting = services.interactions.get(decision.interaction)
    services.consent.grant(user, client.client_id, ["profile"], evidence={})
    services.interactions.mark_consented(waiting.id)
    resumed = services.interactions.get(waiting.id)
    req = HttpRequest(
        "GET",
        services.settings.issuer_base + "/authorize",
        {},
        query=list(resumed.params.items()),
    )
    q = callback(services, decide(services, req, session, resumed))
    assert q["code"]
    assert services.interactions.get(waiting.id) is None  # finished
    assert services.sessions.clients(session.sid) == [client.client_id]
    (event,) = services.audit.recent(type_prefix="authorize.code")
    assert event.subject == user and event.detail == {"scope": "openid profile"}


def test_silent_sso_once_consented(services, client, user, session):
    services.consent.grant(user, client.client_id, ["profile"], evidence={})
    q = callback(
        services, decide(services, request(services, client.client_id, prompt="none"), session)
    )
    assert q["code"]
    silent = decide(services, request(services, client.client_id, prompt="none"), None)
    assert callback(services, silent)["error"] == "login_required"


def test_a_refused_consent_is_access_denied(services, client):
    with services.db() as db:
        denied = services.flow.deny(request(services, client.client_id), db)
    assert callback(services, denied)["error"] == "access_denied"
