"""The citizen's own account page: profile, password, sessions, apps with access.

Every form is CSRF-protected and acts only on the signed-in user's own sessions and grants.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.adapter import BadForm, client_ip, read_form
from api.assurance import Assurance, assurance, session_of
from api.deps import pages, services
from api.services import Services
from api.surfaces import BrowserRoute
from api.throttle import wait_text
from api.web.forms import input_text
from idp.errors import InvalidInput
from idp.selfservice.account import TooManyAttempts, WrongPassword
from idp.signin.sessions import ActiveSession

router = APIRouter(route_class=BrowserRoute)

NOTICES = {
    "password": "Your password was changed. Your other sessions were signed out.",
    "session": "The session was signed out.",
    "app": "The app's access was revoked.",
}


def _login_redirect(request: Request) -> Response:
    here = request.url.path if request.method == "GET" else "/account"
    return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)


def _render(
    request: Request, svc: Services, session: ActiveSession, status: int = 200, **extra: Any
) -> Response:
    pg = pages(request)
    user = svc.users.get(session.user_id)
    lang = pg.lang(request)
    done = request.query_params.get("done")
    return pg.render(
        request,
        "account.html",
        status=status,
        lang=lang,
        csrf_purpose="account",
        here="/account",
        profile=svc.users.profile(user),
        sessions=svc.account.sessions(session.user_id),
        apps=svc.account.apps(session.user_id),
        current_sid=session.sid,
        notice=pg.text(request, NOTICES[done], lang) if done in NOTICES else None,
        **extra,
    )


@router.get("/account")
@assurance(Assurance.SESSION)
async def account_page(request: Request) -> Response:
    svc = services(request)
    session = await run_in_threadpool(session_of, request, svc)
    if session is None:
        return _login_redirect(request)
    return await run_in_threadpool(_render, request, svc, session)


async def _posted(request: Request) -> tuple[Services, ActiveSession | None, dict[str, str] | None]:
    svc, pg = services(request), pages(request)
    session = await run_in_threadpool(session_of, request, svc)
    try:
        form = dict(await read_form(request))
    except BadForm:
        return svc, session, None
    if not pg.csrf.check(request, "account", form.get("csrf_token")):
        return svc, session, None
    return svc, session, form


def _refused(request: Request) -> Response:
    return pages(request).failure(request, "csrf")


@router.post("/account/password")
@assurance(Assurance.SESSION)
async def change_password(request: Request) -> Response:
    svc, session, form = await _posted(request)
    if session is None:
        return _login_redirect(request)
    if form is None:
        return _refused(request)
    pg = pages(request)
    lang = pg.lang(request)
    try:
        await run_in_threadpool(
            lambda: svc.account.change_password(
                session.user_id,
                form.get("current_password", "")[:256],
                form.get("new_password", "")[:1024],
                keep_sid=session.sid,
                ip=client_ip(request),
            )
        )
    except TooManyAttempts as exc:
        wait = exc.retry_after
        message = wait_text(pg, request, lang, wait)
        page = await run_in_threadpool(lambda: _render(request, svc, session, 429, error=message))
        page.headers["Retry-After"] = str(wait)
        return page
    except WrongPassword:
        message = pg.text(request, "The current password is wrong.", lang)
        return await run_in_threadpool(lambda: _render(request, svc, session, 400, error=message))
    except InvalidInput as exc:
        message = input_text(pg, lang, exc, svc.settings.password_min_length)
        return await run_in_threadpool(lambda: _render(request, svc, session, 400, error=message))
    request.app.state.backchannel_kick()
    return RedirectResponse("/account?done=password", status_code=303)


@router.post("/account/sessions/revoke")
@assurance(Assurance.SESSION)
async def revoke_session(request: Request) -> Response:
    svc, session, form = await _posted(request)
    if session is None:
        return _login_redirect(request)
    if form is None:
        return _refused(request)
    sid = form.get("sid", "")[:64]
    await run_in_threadpool(svc.account.revoke_session, session.user_id, sid)
    request.app.state.backchannel_kick()
    if sid == session.sid:  # signed out of this very browser
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(svc.settings.cookie_name, path="/")
        return response
    return RedirectResponse("/account?done=session", status_code=303)


@router.post("/account/apps/revoke")
@assurance(Assurance.SESSION)
async def revoke_app(request: Request) -> Response:
    svc, session, form = await _posted(request)
    if session is None:
        return _login_redirect(request)
    if form is None:
        return _refused(request)
    await run_in_threadpool(svc.account.revoke_app, session.user_id, form.get("client_id", "")[:64])
    return RedirectResponse("/account?done=app", status_code=303)
