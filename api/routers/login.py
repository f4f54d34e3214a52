"""The pages a citizen sees: sign in, consent, sign out, language choice."""

from __future__ import annotations

import asyncio

from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oidc.rpinitiated import EndSessionRequest
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api import openapi_protocol as spec
from api.adapter import BadForm, client_ip, read_form, to_http_request
from api.assurance import Assurance, assurance, session_of
from api.deps import pages, services
from api.i18n import LANG_COOKIE, LOCALES
from api.mfa_web import (
    PASSKEY_CSRF,
    clear_signin_cookie,
    local_path,
    set_session_cookie,
    set_signin_cookie,
)
from api.pages import address
from api.routers.oauth import render_decision, resume_sync
from api.throttle import wait_text
from idp.oauth.requests import HttpRequest
from idp.oidc.authorize import Decision

router = APIRouter()

SCOPE_LABELS = {
    "profile": "Basic profile (name, username)",
    "email": "Email address",
    "phone": "Phone number",
    "address": "Address",
    "offline_access": "Stay signed in to this application (offline access)",
}


@router.get("/login")
@assurance(Assurance.PUBLIC)
def login_page(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    iid = request.query_params.get("interaction")
    interaction = svc.interactions.get(iid) if iid else None
    if iid and interaction is None:
        return pg.failure(request, "expired")
    client = svc.clients.get(interaction.params.get("client_id")) if interaction else None
    lang = pg.lang(request, interaction.params.get("ui_locales") if interaction else None)
    return pg.render(
        request,
        "login.html",
        lang=lang,
        csrf_purpose="login",
        interaction=iid,
        client_name=client.name if client else None,
        username=interaction.params.get("login_hint") if interaction else None,
        passkey_csrf=pg.csrf.token(request, PASSKEY_CSRF),
        next=local_path(request.query_params.get("next"), "") or None,
    )


@router.post("/login")
@assurance(Assurance.PUBLIC)
async def login_submit(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    try:
        form = dict(await read_form(request))
    except BadForm:
        return pg.failure(request, "bad_form")
    iid = form.get("interaction") or None
    username = form.get("username", "")[:320]
    next_path = local_path(form.get("next"), "") or None

    async def again(status: int, message: str = "", wait: int | None = None) -> Response:
        """The form again with `message` (or how long to wait) in the visitor's language.
        Only a page needs the interaction (its language and the app's name): a successful
        sign-in goes on with its id alone, so it is read here and not before."""
        interaction = await run_in_threadpool(svc.interactions.get, iid) if iid else None
        lang = pg.lang(request, interaction.params.get("ui_locales") if interaction else None)
        client = svc.clients.get(interaction.params.get("client_id")) if interaction else None
        page = pg.render(
            request,
            "login.html",
            status=status,
            lang=lang,
            csrf_purpose="login",
            here=address("/login", interaction=iid, next=next_path),
            interaction=iid,
            username=username,
            next=next_path,
            client_name=client.name if client else None,
            error=pg.text(request, message, lang)
            if wait is None
            else wait_text(pg, request, lang, wait),
            passkey_csrf=pg.csrf.token(request, PASSKEY_CSRF),
        )
        if wait is not None:
            page.headers["Retry-After"] = str(wait)
        return page

    wrong = "The NIK/email/username or password is wrong."
    # No per-request cap: failures, not requests, are what a guesser produces, and they are
    # limited per account and per IP; citizens signing in at one office share an address.
    if not pg.csrf.check(request, "login", form.get("csrf_token")):
        return await again(403, "The form expired. Please try again.")
    password = form.get("password", "")
    if not username or not password or len(password) > 256:
        return await again(401, wrong)
    # One worker-thread hop for the whole sign-in, asyncio's own (the loop's executor, the
    # context copied) rather than Starlette's: anyio's bookkeeping around it cost ~0.07 ms of
    # the event loop per sign-in.
    signed_in = await asyncio.to_thread(
        svc.password_signin.sign_in,
        username,
        password,
        client_ip(request),
        current_cookie=request.cookies.get(svc.settings.cookie_name),
        user_agent=request.headers.get("user-agent"),
    )
    result = signed_in.result
    if result.throttled is not None:
        return await again(429, wait=result.throttled.retry_after)
    if result.pending:
        return await again(
            403, "Your account is not active yet. Open the link we emailed you to activate it."
        )
    if signed_in.second_factor_due is not None:
        target = address("/login/otp", interaction=iid, next=None if iid else next_path or "/")
        response = RedirectResponse(target, status_code=303)
        set_signin_cookie(svc, response, signed_in.second_factor_due)
        return response
    if signed_in.cookie is None:
        return await again(401, wrong)
    target = f"/authorize/resume?interaction={iid}" if iid else (next_path or "/")
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(svc, response, signed_in.cookie)
    return response


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


@router.get("/lang")
@assurance(Assurance.PUBLIC)
def choose_language(request: Request) -> Response:
    chosen = request.query_params.get("set")
    target = local_path(request.query_params.get("next"))  # local paths only: no open redirect
    response = RedirectResponse(target, status_code=303)
    if chosen in LOCALES:
        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=365 * 24 * 3600,
            samesite="lax",
            httponly=True,
            path="/",
            secure=services(request).settings.secure_cookies,
        )
    return response


@router.get("/")
@assurance(Assurance.SESSION)
def home(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    session = session_of(request, svc)
    lang = pg.lang(request)
    t = pg.gettext(lang)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    return pg.render(
        request,
        "message.html",
        lang=lang,
        title=t.gettext("You are signed in"),
        message=t.gettext("Welcome to SatuPintu."),
        show_logout=True,
        remote=client_ip(request),
    )
