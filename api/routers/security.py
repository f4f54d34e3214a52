"""/account/security: set up and remove second factors — authenticator app (QR code + secret),
recovery codes (shown once), passkeys (add, rename, remove). Standalone: it needs only an SSO
session. Someone with a factor enrolled must have used it in this session; removing a factor
needs a second-factor check within the last few minutes."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.adapter import BadForm, read_form
from api.assurance import Assurance, assurance, session_of
from api.deps import pages, services
from api.services import Services
from api.surfaces import BrowserRoute
from api.web.passkey_calls import PASSKEY_CSRF, json_problem, passkey_call
from api.web.session_cookie import set_session_cookie
from api.web.session_upgrade import recently_verified, upgrade
from idp.errors import IdpError
from idp.signin.mfa.webauthn import PasskeyRejected
from idp.signin.sessions import ActiveSession

router = APIRouter(prefix="/account/security", route_class=BrowserRoute)

HOME = "/account/security"
FORM_CSRF = "security"
_STEP_UP = f"/login/otp?next={HOME}"


def _gate(request: Request, svc: Services) -> ActiveSession | Response:
    session = session_of(request, svc)
    if session is None:
        return RedirectResponse(f"/login?next={HOME}", status_code=303)
    if "mfa" not in session.amr and svc.factors.enrolled(session.user_id):
        return RedirectResponse(_STEP_UP, status_code=303)
    return session


def _label(svc: Services, user_id: str) -> str:
    return svc.users.profile(svc.users.get(user_id)).username


def _page(request: Request, svc: Services, session: ActiveSession, **extra: Any) -> Response:
    pg = pages(request)
    uid = session.user_id
    return pg.render(
        request,
        "security.html",
        csrf_purpose=FORM_CSRF,
        passkey_csrf=pg.csrf.token(request, PASSKEY_CSRF),
        has_totp=svc.factors.totp.enrolled(uid),
        enrolled=svc.factors.enrolled(uid),
        recovery_left=svc.factors.recovery.remaining(uid),
        passkeys=svc.factors.passkeys.list(uid),
        notice=request.query_params.get("done"),
        **extra,
    )


async def _form(request: Request) -> dict[str, str] | None:
    try:
        form = dict(await read_form(request))
    except BadForm:
        return None
    return form if pages(request).csrf.check(request, FORM_CSRF, form.get("csrf_token")) else None


def _expired(request: Request) -> Response:
    pg = pages(request)
    return pg.failure(request, "csrf")


async def _posted(
    request: Request, svc: Services
) -> tuple[ActiveSession, dict[str, str]] | Response:
    """A form post by the signed-in owner: their session and the form, or the answer to give
    instead (sign in, step up, or "the form expired")."""
    gate = _gate(request, svc)
    if isinstance(gate, Response):
        return gate
    form = await _form(request)
    return _expired(request) if form is None else (gate, form)


@router.get("")
@assurance(Assurance.MFA_SESSION)
def security_page(request: Request) -> Response:
    svc = services(request)
    gate = _gate(request, svc)
    return gate if isinstance(gate, Response) else _page(request, svc, gate)


@router.post("/totp/start")
@assurance(Assurance.MFA_SESSION)
async def totp_start(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    posted = await _posted(request, svc)
    if isinstance(posted, Response):
        return posted
    gate, _ = posted
    if svc.factors.totp.enrolled(gate.user_id):
        return RedirectResponse(HOME, status_code=303)
    label = await run_in_threadpool(_label, svc, gate.user_id)
    enrolment = await run_in_threadpool(svc.factors.totp.begin, gate.user_id, label)
    return pg.render(request, "totp_enrol.html", csrf_purpose=FORM_CSRF, enrolment=enrolment)


@router.post("/totp/confirm")
@assurance(Assurance.MFA_SESSION)
async def totp_confirm(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    posted = await _posted(request, svc)
    if isinstance(posted, Response):
        return posted
    gate, form = posted
    uid = gate.user_id
    ok = await run_in_threadpool(
        lambda: svc.factors.totp.confirm(uid, form.get("otp", "")[:16], actor=uid)
    )
    if not ok:
        label = await run_in_threadpool(_label, svc, uid)
        enrolment = svc.factors.totp.pending(uid, label)
        if enrolment is None:
            return RedirectResponse(HOME, status_code=303)
        error = pg.text(request, "That code is wrong. Check the time on your phone and try again.")
        return pg.render(
            request,
            "totp_enrol.html",
            status=400,
            csrf_purpose=FORM_CSRF,
            enrolment=enrolment,
            error=error,
        )
    await run_in_threadpool(svc.account.factors_changed, uid)
    # The user just proved the new factor: the session counts it.
    _s, cookie = await upgrade(request, svc, uid, gate.amr, ["otp", "mfa"])
    if svc.factors.recovery.remaining(uid) == 0:
        codes = await run_in_threadpool(lambda: svc.factors.recovery.generate(uid, actor=uid))
        response: Response = pg.render(request, "recovery_codes.html", codes=codes)
    else:
        response = RedirectResponse(f"{HOME}?done=totp", status_code=303)
    set_session_cookie(svc, response, cookie)
    return response


@router.post("/totp/remove")
@assurance(Assurance.MFA_SESSION)
async def totp_remove(request: Request) -> Response:
    return await _remove_factor(request, lambda svc, uid: svc.factors.totp.remove(uid, actor=uid))


async def _remove_factor(request: Request, remove: Callable[[Services, str], object]) -> Response:
    """Removing a factor needs a fresh second-factor check; afterwards the recovery codes go
    with the last factor, and the owner is told."""
    svc = services(request)
    posted = await _posted(request, svc)
    if isinstance(posted, Response):
        return posted
    gate, _ = posted
    if not recently_verified(svc, gate):
        return RedirectResponse(_STEP_UP, status_code=303)
    uid = gate.user_id
    try:
        await run_in_threadpool(remove, svc, uid)
    except IdpError:
        return RedirectResponse(HOME, status_code=303)
    await run_in_threadpool(_forget_codes_if_no_factor, svc, uid)
    await run_in_threadpool(svc.account.factors_changed, uid)
    return RedirectResponse(f"{HOME}?done=removed", status_code=303)


def _forget_codes_if_no_factor(svc: Services, uid: str) -> None:
    if not svc.factors.enrolled(uid):
        svc.factors.recovery.clear(uid, actor=uid)


@router.post("/recovery/regenerate")
@assurance(Assurance.MFA_SESSION)
async def recovery_regenerate(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    posted = await _posted(request, svc)
    if isinstance(posted, Response):
        return posted
    gate, _ = posted
    uid = gate.user_id
    if not svc.factors.enrolled(uid):
        return RedirectResponse(HOME, status_code=303)
    codes = await run_in_threadpool(lambda: svc.factors.recovery.generate(uid, actor=uid))
    await run_in_threadpool(svc.account.factors_changed, uid)
    return pg.render(request, "recovery_codes.html", codes=codes)


@router.post("/passkeys/options")
@assurance(Assurance.MFA_SESSION)
async def passkey_options(request: Request) -> Response:
    svc = services(request)
    gate = _gate(request, svc)
    if isinstance(gate, Response):
        return json_problem(401, "no_session", "Sign in first.")
    refused = await passkey_call(request, body=False)
    if isinstance(refused, Response):
        return refused
    label = await run_in_threadpool(_label, svc, gate.user_id)
    handle, options = await run_in_threadpool(
        svc.factors.passkeys.registration_options, gate.user_id, label
    )
    return JSONResponse(
        {"handle": handle, "options": options}, headers={"Cache-Control": "no-store"}
    )


@router.post("/passkeys")
@assurance(Assurance.MFA_SESSION)
async def passkey_register(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    gate = _gate(request, svc)
    if isinstance(gate, Response):
        return json_problem(401, "no_session", "Sign in first.")
    body = await passkey_call(request)
    if isinstance(body, Response):
        return body
    name = str(body.get("name") or "").strip() or pg.text(request, "My passkey")
    uid = gate.user_id
    try:
        key = await run_in_threadpool(
            svc.factors.passkeys.register,
            uid,
            str(body.get("handle") or ""),
            body.get("credential"),
            name,
        )
    except (PasskeyRejected, IdpError):
        return json_problem(422, "passkey_rejected", "The passkey could not be registered.")
    await run_in_threadpool(svc.account.factors_changed, uid)
    amr = "swk" if key.multi_device else "hwk"
    _s, cookie = await upgrade(request, svc, uid, gate.amr, [amr, "mfa"])
    response = JSONResponse({"redirect": f"{HOME}?done=passkey"})
    set_session_cookie(svc, response, cookie)
    return response


@router.post("/passkeys/{passkey_id}/rename")
@assurance(Assurance.MFA_SESSION)
async def passkey_rename(passkey_id: str, request: Request) -> Response:
    svc = services(request)
    posted = await _posted(request, svc)
    if isinstance(posted, Response):
        return posted
    gate, form = posted
    with suppress(IdpError):  # empty name or not this user's key: nothing changes
        await run_in_threadpool(
            svc.factors.passkeys.rename, gate.user_id, passkey_id[:36], form.get("name", "")
        )
    return RedirectResponse(HOME, status_code=303)


@router.post("/passkeys/{passkey_id}/remove")
@assurance(Assurance.MFA_SESSION)
async def passkey_remove(passkey_id: str, request: Request) -> Response:
    return await _remove_factor(
        request, lambda svc, uid: svc.factors.passkeys.remove(uid, passkey_id[:36], actor=uid)
    )
