"""Signing in with a password: the sign-in page and its form, whose post is answered straight
from ASGI (api/asgi/direct_routes.py)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.adapter import BadForm, client_ip, read_form
from api.asgi.direct_routes import direct
from api.assurance import Assurance, assurance
from api.deps import pages, services
from api.surfaces import PageRoute
from api.throttle import wait_text
from api.web.next_target import local_path
from api.web.pages import address
from api.web.passkey_calls import PASSKEY_CSRF
from api.web.session_cookie import set_session_cookie, set_signin_cookie

router = APIRouter(route_class=PageRoute)


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
@direct
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
