"""The authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2) and the resumption of an
authorization request parked for sign-in, consent or a second factor."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api import openapi_protocol as spec
from api.adapter import BadForm, to_http_request
from api.assurance import Assurance, assurance, session_of
from api.deps import pages, services
from api.services import Services
from api.surfaces import BrowserRoute
from api.web.decision import render_decision, resume_sync
from idp.oauth.requests import HttpRequest
from idp.oidc.authorize import Decision

router = APIRouter(route_class=BrowserRoute)


def _authorize_sync(request: Request, svc: Services, req: HttpRequest) -> Decision:
    with svc.db() as db:
        return svc.flow.decide(req, db, session_of(request, svc))


@router.get("/authorize", openapi_extra=spec.AUTHORIZE_GET)
@router.post("/authorize", openapi_extra=spec.AUTHORIZE_POST)
@assurance(Assurance.OPTIONAL_SESSION)
async def authorize(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    try:
        req = await to_http_request(request, svc.settings.issuer_base)
    except BadForm:
        return pg.failure(request, "bad_app_request")
    decision = await run_in_threadpool(_authorize_sync, request, svc, req)
    return render_decision(request, decision, pg, dict(req.query + req.form).get("ui_locales"))


@router.get("/authorize/resume")
@assurance(Assurance.OPTIONAL_SESSION)
async def authorize_resume(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    decision = await run_in_threadpool(
        resume_sync, request, svc, request.query_params.get("interaction")
    )
    if decision is None:
        return pg.failure(request, "expired")
    return render_decision(request, decision, pg, None)
