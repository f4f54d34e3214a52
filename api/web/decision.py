"""The authorization flow's Decision answered to a browser (a redirect, the sign-in, consent or
second-factor step, or an error page), and a parked authorization request resumed (OIDC Core
§3.1.2)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from api.adapter import to_response
from api.assurance import session_of
from api.services import Services
from api.web.pages import Pages
from idp.oauth.requests import HttpRequest
from idp.oidc.authorize import (
    Decision,
    NeedConsent,
    NeedEnrolment,
    NeedLogin,
    NeedSecondFactor,
    Redirect,
    ShowError,
)


def render_decision(
    request: Request, decision: Decision, pg: Pages, lang_hint: str | None
) -> Response:
    if isinstance(decision, Redirect):
        return to_response(decision.response)
    if isinstance(decision, NeedLogin):
        return RedirectResponse(f"/login?interaction={decision.interaction}", status_code=303)
    if isinstance(decision, NeedConsent):
        return RedirectResponse(f"/consent?interaction={decision.interaction}", status_code=303)
    if isinstance(decision, NeedSecondFactor):
        return RedirectResponse(f"/login/otp?interaction={decision.interaction}", status_code=303)
    if isinstance(decision, NeedEnrolment):
        return pg.render(
            request,
            "mfa_required.html",
            status=403,
            lang=pg.lang(request, lang_hint),
            client_name=decision.client.name,
        )
    assert isinstance(decision, ShowError)
    lang = pg.lang(request, lang_hint)
    page = pg.failure(request, "bad_app_request", code=decision.error, lang=lang)
    return page


def resume_sync(request: Request, svc: Services, iid: str | None) -> Decision | None:
    interaction = svc.interactions.get(iid)
    if interaction is None:
        return None
    params = list(interaction.params.items())
    req = HttpRequest(
        "GET",
        svc.settings.issuer_base + "/authorize",
        {k.lower(): v for k, v in request.headers.items()},
        query=params,
    )
    with svc.db() as db:
        return svc.flow.decide(req, db, session_of(request, svc), resumed=interaction)
