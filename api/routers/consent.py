"""The consent page: what an application asks to see, and the citizen's approval or denial
(OIDC Core §3.1.2.4)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.adapter import BadForm, read_form
from api.assurance import Assurance, assurance, session_of
from api.deps import pages, services
from api.surfaces import PageRoute
from api.web.decision import render_decision, resume_sync
from idp.oauth.requests import HttpRequest
from idp.oidc.authorize import Decision

router = APIRouter(route_class=PageRoute)

SCOPE_LABELS = {
    "profile": "Basic profile (name, username)",
    "email": "Email address",
    "phone": "Phone number",
    "address": "Address",
    "offline_access": "Stay signed in to this application (offline access)",
}


@router.get("/consent")
@assurance(Assurance.SESSION)
def consent_page(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    iid = request.query_params.get("interaction")
    interaction = svc.interactions.get(iid)
    session = session_of(request, svc)
    if interaction is None or session is None:
        return pg.failure(request, "expired")
    client = svc.clients.get(interaction.params.get("client_id"))
    if client is None:
        return pg.failure(request, "bad_app_request", code="invalid_client")
    lang = pg.lang(request, interaction.params.get("ui_locales"))
    scopes = [
        s
        for s in client.get_allowed_scope(interaction.params.get("scope", "")).split()
        if s in SCOPE_LABELS
    ]
    labels = [pg.text(request, SCOPE_LABELS[s], lang) for s in scopes]
    return pg.render(
        request,
        "consent.html",
        lang=lang,
        csrf_purpose="consent",
        interaction=iid,
        client_name=client.name,
        scopes=labels,
    )


@router.post("/consent")
@assurance(Assurance.SESSION)
async def consent_submit(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    try:
        form = dict(await read_form(request))
    except BadForm:
        return pg.failure(request, "bad_form")
    iid = form.get("interaction")
    interaction = svc.interactions.get(iid)
    session = session_of(request, svc)
    if interaction is None or session is None:
        return pg.failure(request, "expired")
    if not pg.csrf.check(request, "consent", form.get("csrf_token")):
        return pg.failure(request, "csrf")
    params = list(interaction.params.items())
    req = HttpRequest("GET", svc.settings.issuer_base + "/authorize", {}, query=params)
    if form.get("decision") != "approve":

        def deny() -> Decision:
            with svc.db() as db:
                return svc.flow.deny(req, db)

        decision = await run_in_threadpool(deny)
        svc.interactions.finish(interaction.id)
        return render_decision(request, decision, pg, interaction.params.get("ui_locales"))
    client = svc.clients.get(interaction.params.get("client_id"))
    if client is None:
        return pg.failure(request, "bad_app_request", code="invalid_client")
    scopes = client.get_allowed_scope(interaction.params.get("scope", "")).split()
    evidence = {
        "interaction": interaction.id,
        "sid": session.sid,
        "method": "consent_page",
        "language": pg.lang(request, interaction.params.get("ui_locales")),
    }

    def record() -> None:
        svc.consent.grant(session.user_id, client.client_id, scopes, evidence=evidence)
        svc.interactions.mark_consented(interaction.id)

    await run_in_threadpool(record)
    resumed = await run_in_threadpool(resume_sync, request, svc, iid)
    if resumed is None:
        return pg.failure(request, "expired")
    return render_decision(request, resumed, pg, interaction.params.get("ui_locales"))
