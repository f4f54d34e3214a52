"""Signing out: RP-Initiated Logout (OpenID Connect RP-Initiated Logout 1.0), asking first
unless the request proves it comes from the session's own application."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oidc.rpinitiated import EndSessionRequest
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api import openapi_protocol as spec
from api.adapter import BadForm, to_http_request
from api.assurance import Assurance, assurance, session_of
from api.deps import pages, services
from api.surfaces import PageRoute
from api.web.session_cookie import clear_signin_cookie

router = APIRouter(route_class=PageRoute)


@router.get("/logout", openapi_extra=spec.LOGOUT_GET)
@router.post("/logout", openapi_extra=spec.LOGOUT_POST)
@assurance(Assurance.OPTIONAL_SESSION)
async def logout(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    try:
        req = await to_http_request(request, svc.settings.issuer_base)
    except BadForm:
        return pg.failure(request, "bad_form")
    params = dict(req.query + req.form)
    lang = pg.lang(request, params.get("ui_locales"))

    def validate() -> EndSessionRequest:
        with svc.db() as db:
            return svc.logout.validate(svc.server.oauth_request(req, db))

    try:
        validated = await run_in_threadpool(validate)
    except OAuth2Error as err:
        return pg.failure(request, "bad_app_request", code=err.error, lang=lang)
    redirect_uri = getattr(validated, "redirect_uri", None)
    if params.get("post_logout_redirect_uri") and not redirect_uri:
        # Never redirect to an unregistered URI (RP-Initiated Logout §3): show an error instead.
        return pg.failure(
            request, "bad_app_request", code="invalid_post_logout_redirect_uri", lang=lang
        )
    confirmed = request.method == "POST" and params.get("confirm") == "yes"
    if confirmed and not pg.csrf.check(request, "logout", params.get("csrf_token")):
        return pg.failure(request, "csrf", lang=lang)
    session = session_of(request, svc)
    if svc.logout.must_ask(validated, session) and not confirmed:
        kept = ("client_id", "id_token_hint", "post_logout_redirect_uri", "state", "ui_locales")
        keep = [(k, v) for k, v in params.items() if k in (*kept, "logout_hint")]
        return pg.render(
            request, "logout_confirm.html", lang=lang, csrf_purpose="logout", params=keep
        )
    if session is not None:
        await run_in_threadpool(lambda: svc.logout.end(session.sid, actor=session.user_id))
        request.app.state.backchannel_kick()
    # A sign-in still waiting for its second factor ends too.
    pending = request.cookies.get(svc.settings.signin_cookie_name)
    if pending:
        await run_in_threadpool(svc.pending_signins.consume, pending)
    if redirect_uri:
        response: Response = RedirectResponse(redirect_uri, status_code=303)
    else:
        t = pg.gettext(lang)
        response = pg.render(
            request,
            "message.html",
            lang=lang,
            title=t.gettext("You are signed out"),
            message=t.gettext(
                "You have been signed out of SatuPintu and the services that use it."
            ),
        )
    response.delete_cookie(svc.settings.cookie_name, path="/")
    clear_signin_cookie(svc, response)
    return response
