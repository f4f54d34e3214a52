"""Pages for people without a session: self-registration, email verification, forgotten
password. Answers never reveal whether an NIK or email is registered."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from api.adapter import BadForm, read_form
from api.assurance import Assurance, assurance
from api.deps import pages, services
from api.routers.login import wait_text
from api.services import Services
from api.throttle import request_cap
from api.web.pages import Pages, address
from idp.accounts.nik import InvalidNik
from idp.accounts.password_policy import WeakPassword
from idp.errors import InvalidInput

router = APIRouter()
log = logging.getLogger("satupintu.signup")

PASSWORD_TEXT = {
    "too_short": "The password must be at least %(n)s characters long.",
    "too_long": "The password must be at most %(n)s characters long.",
    "common": "This password is too common or has appeared in a data breach. Choose another.",
    "contains_identity": "The password must not contain your username, email or NIK.",
}


def input_text(pg: Pages, lang: str, exc: Exception, min_length: int = 8) -> str:
    """The visitor's-language message for a refused form field."""
    t = pg.gettext(lang)
    if isinstance(exc, WeakPassword):
        n = 256 if exc.reason == "too_long" else min_length
        return t.gettext(PASSWORD_TEXT[exc.reason]) % {"n": n}
    return t.gettext(str(exc))


def _bad_form(request: Request, pg: Pages) -> Response:
    return pg.failure(request, "bad_form")


async def _form(request: Request) -> dict[str, str] | None:
    try:
        return dict(await read_form(request))
    except BadForm:
        return None


def _dead_link(request: Request, pg: Pages) -> Response:
    """An emailed link that is wrong, used or expired: one answer, never which of the three."""
    return _message(
        request,
        pg,
        "This link does not work",
        "The link is invalid, was already used or has expired.",
        status=400,
    )


def _message(request: Request, pg: Pages, title: str, message: str, status: int = 200) -> Response:
    lang = pg.lang(request)
    t = pg.gettext(lang)
    return pg.render(
        request,
        "message.html",
        status=status,
        lang=lang,
        title=t.gettext(title),
        message=t.gettext(message),
    )


# -- self-registration -------------------------------------------------------------------------
@router.get("/register")
@assurance(Assurance.PUBLIC)
def register_page(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    if not svc.settings.self_registration_enabled:
        return pg.error(request, "Page not found", "Registration is closed.", status=404)
    return pg.render(request, "register.html", csrf_purpose="register")


async def register_submit(request: Request) -> Response:
    """POST /register with a form (oauth.register hands form posts here)."""
    svc, pg = services(request), pages(request)
    if not svc.settings.self_registration_enabled:
        return pg.error(request, "Page not found", "Registration is closed.", status=404)
    form = await _form(request)
    if form is None:
        return _bad_form(request, pg)
    lang = pg.lang(request)
    fields = {k: form.get(k, "")[:320] for k in ("nik", "email", "name")}

    def again(message: str, status: int) -> Response:
        return pg.render(
            request,
            "register.html",
            status=status,
            lang=lang,
            csrf_purpose="register",
            here="/register",
            error=message,
            **fields,
        )

    capped = await run_in_threadpool(request_cap, request, svc, "register")
    if capped:
        page = again(wait_text(pg, request, lang, capped.retry_after), 429)
        page.headers["Retry-After"] = str(capped.retry_after)
        return page
    if not pg.csrf.check(request, "register", form.get("csrf_token")):
        return again(pg.text(request, "The form expired. Please try again.", lang), 403)
    password = form.get("password", "")[:1024]
    try:
        await run_in_threadpool(lambda: svc.self_registration.register(password=password, **fields))
    except (InvalidNik, InvalidInput) as exc:
        return again(input_text(pg, lang, exc, svc.settings.password_min_length), 400)
    return _message(
        request,
        pg,
        "Check your email",
        "We have sent a message to the email address you entered. Open the link in it to "
        "activate your account.",
    )


@router.get("/verify-email")
@assurance(Assurance.PUBLIC)
async def verify_email(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    token = request.query_params.get("token")
    done = await run_in_threadpool(svc.self_registration.verify_email, token)
    if done is None:
        return _dead_link(request, pg)
    return _message(
        request,
        pg,
        "Your account is active",
        "Your email address is confirmed. You can now sign in.",
    )


# -- forgotten password ------------------------------------------------------------------------
@router.get("/password/forgot")
@assurance(Assurance.PUBLIC)
def forgot_page(request: Request) -> Response:
    return pages(request).render(request, "password_forgot.html", csrf_purpose="forgot")


@router.post("/password/forgot")
@assurance(Assurance.PUBLIC)
async def forgot_submit(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    form = await _form(request)
    if form is None:
        return _bad_form(request, pg)
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
    response = _message(
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
        return _dead_link(request, pg)
    return pg.render(request, "password_reset.html", csrf_purpose="reset", token=token)


@router.post("/password/reset")
@assurance(Assurance.PUBLIC)
async def reset_submit(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    form = await _form(request)
    if form is None:
        return _bad_form(request, pg)
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
        return _dead_link(request, pg)
    request.app.state.backchannel_kick()
    response = _message(
        request,
        pg,
        "Password changed",
        "Your new password is saved. You have been signed out everywhere; sign in again.",
    )
    response.delete_cookie(svc.settings.cookie_name, path="/")
    return response
