"""The second step of signing in: the `otp` form (authenticator code or recovery code) and
passkeys (WebAuthn), both as a second factor after the password and as a passwordless sign-in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.adapter import BadForm, client_ip, read_form
from api.assurance import Assurance, SecondFactorStep, assurance, second_factor_step
from api.deps import pages, services
from api.services import Services
from api.surfaces import BrowserRoute
from api.throttle import wait_text
from api.web.next_target import after_login, local_path
from api.web.pages import address
from api.web.passkey_calls import PASSKEY_CSRF, json_problem, passkey_call
from api.web.session_cookie import clear_signin_cookie, set_session_cookie
from api.web.session_upgrade import upgrade
from audit import AuditEvent
from idp.signin.mfa.webauthn import PasskeyRejected
from idp.signin.ratelimit import Throttled

router = APIRouter(route_class=BrowserRoute)


def _lang_hint(svc: Services, iid: str | None) -> str | None:
    interaction = svc.interactions.get(iid) if iid else None
    return interaction.params.get("ui_locales") if interaction else None


def _otp_page(
    request: Request,
    svc: Services,
    user_id: str,
    iid: str,
    nxt: str,
    *,
    error: str = "",
    status: int | None = None,
) -> Response:
    pg = pages(request)
    lang = pg.lang(request, _lang_hint(svc, iid))
    return pg.render(
        request,
        "otp.html",
        status=status or (401 if error else 200),
        lang=lang,
        csrf_purpose="otp",
        here=address("/login/otp", interaction=iid, next=nxt),
        passkey_csrf=pg.csrf.token(request, PASSKEY_CSRF),
        interaction=iid,
        next=nxt,
        has_totp=svc.factors.totp.enrolled(user_id),
        has_passkey=svc.factors.passkeys.enrolled(user_id),
        error=pg.text(request, error, lang) if error else None,
    )


@router.get("/login/otp")
@assurance(Assurance.SECOND_FACTOR)
def otp_page(request: Request) -> Response:
    svc = services(request)
    step = second_factor_step(request, svc)
    iid = request.query_params.get("interaction") or ""
    if step is None:
        target = f"/login?interaction={iid}" if iid else "/login"
        return RedirectResponse(target, status_code=303)
    nxt = local_path(request.query_params.get("next"), "")
    return _otp_page(request, svc, step.user_id, iid, nxt)


async def _complete(
    request: Request, svc: Services, step: SecondFactorStep, earned: list[str]
) -> str | None:
    """The second factor is verified: the pending sign-in (if any) is used up and the SSO
    session established, or upgraded when one is stepping up. Returns the session's cookie,
    or None when the pending sign-in was used up already or has expired."""
    if step.pending is not None and not await run_in_threadpool(
        svc.pending_signins.consume, step.pending
    ):
        return None
    _s, cookie = await upgrade(request, svc, step.user_id, step.amr, earned)
    return cookie


def _with_session(svc: Services, response: Response, cookie: str) -> Response:
    set_session_cookie(svc, response, cookie)
    clear_signin_cookie(svc, response)
    return response


@router.post("/login/otp")
@assurance(Assurance.SECOND_FACTOR)
async def otp_submit(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    try:
        form = dict(await read_form(request))
    except BadForm:
        return pg.failure(request, "bad_form")
    step = second_factor_step(request, svc)
    iid, nxt = form.get("interaction", "")[:64], local_path(form.get("next"), "")
    if step is None:
        return RedirectResponse("/login", status_code=303)
    if not pg.csrf.check(request, "otp", form.get("csrf_token")):
        return _otp_page(
            request, svc, step.user_id, iid, nxt, error="The form expired. Please try again."
        )
    # A six-digit code falls to guessing without a limit: the password limiter's progressive
    # delay, keyed by the account, also guards the second factor.
    key, ip = svc.limiter.key("otp", step.user_id), client_ip(request)
    attempt = await run_in_threadpool(lambda: svc.limiter.begin(account=key, ip=ip))
    if isinstance(attempt, Throttled):
        lang = pg.lang(request, _lang_hint(svc, iid))
        page = _otp_page(
            request,
            svc,
            step.user_id,
            iid,
            nxt,
            error=wait_text(pg, request, lang, attempt.retry_after),
            status=429,
        )
        page.headers["Retry-After"] = str(attempt.retry_after)
        return page
    earned = await run_in_threadpool(svc.factors.verify_code, step.user_id, form.get("otp", ""))
    if earned is None:
        await run_in_threadpool(lambda: attempt.failed(subject=step.user_id))
        return _otp_page(
            request, svc, step.user_id, iid, nxt, error="That code is wrong or was already used."
        )
    await run_in_threadpool(attempt.succeeded)
    cookie = await _complete(request, svc, step, earned)
    if cookie is None:
        return RedirectResponse("/login", status_code=303)
    return _with_session(
        svc, RedirectResponse(after_login(iid or None, nxt), status_code=303), cookie
    )


@router.post("/login/passkey/options")
@assurance(Assurance.SECOND_FACTOR)
async def passkey_options(request: Request) -> Response:
    """Start a passkey sign-in: `mode` "2fa" (after the password) or "passwordless"."""
    svc = services(request)
    body = await passkey_call(request)
    if isinstance(body, Response):
        return body
    user_id: str | None = None
    if body.get("mode") == "2fa":
        step = second_factor_step(request, svc)
        if step is None:
            return json_problem(401, "no_session", "Sign in with your password first.")
        user_id = step.user_id
    handle, options = await run_in_threadpool(svc.factors.passkeys.authentication_options, user_id)
    return JSONResponse(
        {"handle": handle, "options": options}, headers={"Cache-Control": "no-store"}
    )


@router.post("/login/passkey/verify")
@assurance(Assurance.SECOND_FACTOR)
async def passkey_verify(request: Request) -> Response:
    svc = services(request)
    body = await passkey_call(request)
    if isinstance(body, Response):
        return body
    handle, credential = str(body.get("handle") or ""), body.get("credential")
    iid = str(body.get("interaction") or "")[:64] or None
    nxt = local_path(str(body.get("next") or ""), "/")
    step = second_factor_step(request, svc) if body.get("mode") == "2fa" else None
    if body.get("mode") == "2fa" and step is None:
        return json_problem(401, "no_session", "Sign in with your password first.")
    try:
        login = await run_in_threadpool(
            svc.factors.passkeys.authenticate,
            handle,
            credential,
            step.user_id if step else None,
        )
    except PasskeyRejected:
        return json_problem(422, "passkey_rejected", "The passkey could not be verified.")
    if step is None:
        user = await run_in_threadpool(svc.users.get, login.user_id)
        if user.disabled or not login.user_verified:
            return json_problem(422, "passkey_rejected", "The passkey could not be verified.")
        # Possession of the key plus user verification on the device: two factors in one.
        step = SecondFactorStep(login.user_id, [], None)
        earned = [login.amr, "user", "mfa"]
        svc.audit.record(AuditEvent("login.passkey", actor=login.user_id, subject=login.user_id))
    else:
        earned = [login.amr, "mfa"]
    cookie = await _complete(request, svc, step, earned)
    if cookie is None:
        return json_problem(401, "no_session", "Sign in with your password first.")
    response = JSONResponse(
        {"redirect": after_login(iid, nxt)}, headers={"Cache-Control": "no-store"}
    )
    return _with_session(svc, response, cookie)
