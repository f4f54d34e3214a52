"""Citizens' self-registration at `/signup` and the verification of their email address.
Answers never reveal whether an NIK or email is registered."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.assurance import Assurance, assurance
from api.deps import pages, services
from api.surfaces import BrowserRoute
from api.throttle import request_cap, wait_text
from api.web.forms import input_text, page_form
from api.web.messages import dead_link, message_page
from idp.accounts.nik import InvalidNik
from idp.errors import InvalidInput

router = APIRouter(route_class=BrowserRoute)


@router.get("/signup")
@assurance(Assurance.PUBLIC)
def signup_page(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    if not svc.settings.self_registration_enabled:
        return pg.error(request, "Page not found", "Registration is closed.", status=404)
    return pg.render(request, "signup.html", csrf_purpose="register")


@router.post("/signup")
@assurance(Assurance.PUBLIC)
async def signup_submit(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    if not svc.settings.self_registration_enabled:
        return pg.error(request, "Page not found", "Registration is closed.", status=404)
    form = await page_form(request)
    if form is None:
        return pg.failure(request, "bad_form")
    lang = pg.lang(request)
    fields = {k: form.get(k, "")[:320] for k in ("nik", "email", "name")}

    def again(message: str, status: int) -> Response:
        return pg.render(
            request,
            "signup.html",
            status=status,
            lang=lang,
            csrf_purpose="register",
            here="/signup",
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
    return message_page(
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
        return dead_link(request, pg)
    return message_page(
        request,
        pg,
        "Your account is active",
        "Your email address is confirmed. You can now sign in.",
    )
