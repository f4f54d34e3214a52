"""A forgotten password: the request for an emailed reset link, and the new password chosen
through it. Answers never reveal whether an account matches."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from api.assurance import Assurance, assurance
from api.deps import pages, services
from api.services import Services
from api.surfaces import BrowserRoute
from api.throttle import request_cap, wait_text
from api.web.forms import input_text, page_form
from api.web.messages import dead_link, message_page
from api.web.pages import address
from idp.errors import InvalidInput

router = APIRouter(route_class=BrowserRoute)
log = logging.getLogger("satupintu.signup")


@router.get("/password/forgot")
@assurance(Assurance.PUBLIC)
def forgot_page(request: Request) -> Response:
    return pages(request).render(request, "password_forgot.html", csrf_purpose="forgot")


@router.post("/password/forgot")
@assurance(Assurance.PUBLIC)
async def forgot_submit(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    form = await page_form(request)
    if form is None:
        return pg.failure(request, "bad_form")
    lang = pg.lang(request)
    capped = await run_in_threadpool(request_cap, request, svc, "password_forgot")
    if capped:
        page = pg.render(
            request,
            "password_forgot.html",
            status=429,
            lang=lang,
            csrf_purpose="forgot",
            here="/password/forgot",
            error=wait_text(pg, request, lang, capped.retry_after),
        )
        page.headers["Retry-After"] = str(capped.retry_after)
        return page
    if not pg.csrf.check(request, "forgot", form.get("csrf_token")):
        return pg.render(
            request,
            "password_forgot.html",
            status=403,
            lang=lang,
            csrf_purpose="forgot",
            here="/password/forgot",
            error=pg.text(request, "The form expired. Please try again.", lang),
        )
    login = form.get("login", "")[:320]
    response = message_page(
        request,
        pg,
        "Check your email",
        "If an account matches what you entered, we have emailed it a link to choose a new "
        "password. The link works once, for 30 minutes.",
    )
    # After the answer is sent: the lookup, the token and the mail would otherwise make the
    # answer slower exactly when an account matches.
    response.background = BackgroundTask(_request_reset, svc, login)
    return response


def _request_reset(svc: Services, login: str) -> None:
    """Runs after the answer: a failure (e.g. OpenBao down) can only be logged, never the
    login itself."""
    try:
        svc.password_reset.request(login)
    except Exception:
        log.warning("password reset request failed", exc_info=False)


@router.get("/password/reset")
@assurance(Assurance.PUBLIC)
async def reset_page(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    token = request.query_params.get("token", "")
    if await run_in_threadpool(svc.password_reset.user_for, token) is None:
        return dead_link(request, pg)
    return pg.render(request, "password_reset.html", csrf_purpose="reset", token=token)


@router.post("/password/reset")
@assurance(Assurance.PUBLIC)
async def reset_submit(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    form = await page_form(request)
    if form is None:
        return pg.failure(request, "bad_form")
    lang = pg.lang(request)
    token = form.get("token", "")[:128]

    def again(message: str, status: int) -> Response:
        return pg.render(
            request,
            "password_reset.html",
            status=status,
            lang=lang,
            csrf_purpose="reset",
            here=address("/password/reset", token=token),
            token=token,
            error=message,
        )

    if not pg.csrf.check(request, "reset", form.get("csrf_token")):
        return again(pg.text(request, "The form expired. Please try again.", lang), 403)
    password = form.get("password", "")[:1024]
    try:
        done = await run_in_threadpool(svc.password_reset.reset, token, password)
    except InvalidInput as exc:
        return again(input_text(pg, lang, exc, svc.settings.password_min_length), 400)
    if done is None:
        return dead_link(request, pg)
    request.app.state.backchannel_kick()
    response = message_page(
        request,
        pg,
        "Password changed",
        "Your new password is saved. You have been signed out everywhere; sign in again.",
    )
    response.delete_cookie(svc.settings.cookie_name, path="/")
    return response
