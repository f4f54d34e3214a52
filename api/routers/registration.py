"""Dynamic client registration (RFC 7591) at `/register`: a client's metadata as JSON, with an
initial access token as its Bearer token. The citizens' sign-up form, once here too, is at
/signup: a browser's old link or form post is sent there with 308 (RFC 9110 §15.4.9), which
keeps a post's method and body."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from api import openapi_protocol as spec
from api.adapter import BadForm, client_ip, to_http_request
from api.assurance import Assurance, assurance
from api.deps import services
from api.errors import oauth_error
from api.surfaces import OAuthRoute
from api.throttle import request_cap, too_many_oauth
from idp.oauth.registration import RegistrationError
from idp.signin.ratelimit import Throttled

router = APIRouter(route_class=OAuthRoute)

# What a URL may hold unencoded in a Location header: Starlette's RedirectResponse's choice.
_LOCATION_SAFE = ":/%#?=@[]!$&'()*+,;"


def _to_signup(request: Request) -> Response:
    """308 to the sign-up page, the query string kept; an HTML body, as a page's answer."""
    query = request.url.query
    target = quote("/signup" + (f"?{query}" if query else ""), safe=_LOCATION_SAFE)
    body = f'<!doctype html><title>SatuPintu</title><a href="{escape(target)}">/signup</a>\n'
    return HTMLResponse(body, status_code=308, headers={"Location": target})


@router.get("/register")
@assurance(Assurance.PUBLIC)
def old_signup_link(request: Request) -> Response:
    """A browser's old link to the sign-up form. A registration-management call (a Bearer
    token, as RFC 7592 §2.1 reads a client's registration with) finds no such endpoint here."""
    if request.headers.get("authorization", "")[:7].lower() == "bearer ":
        raise HTTPException(405)
    return _to_signup(request)


@router.post("/register", openapi_extra=spec.REGISTER)
@assurance(Assurance.PUBLIC)
async def register(request: Request) -> Response:
    svc = services(request)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded":
        # A sign-up form posted to the old address; clients send JSON (RFC 7591).
        return _to_signup(request)
    capped = await run_in_threadpool(request_cap, request, svc, "register")
    if capped:
        return too_many_oauth(capped)
    if not svc.settings.registration_enabled:
        return oauth_error("access_denied", "Dynamic registration is disabled.", 403)
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return oauth_error("invalid_client_metadata", "Send client metadata as JSON.")
    try:
        req = await to_http_request(request, svc.settings.issuer_base, with_json=True)
    except BadForm as exc:
        return oauth_error("invalid_client_metadata", str(exc))
    ip = client_ip(request)
    # Reserve, then check the initial access token.
    attempt = await run_in_threadpool(lambda: svc.limiter.begin(account=None, ip=ip))
    if isinstance(attempt, Throttled):
        return too_many_oauth(attempt)
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
    try:
        client, secret = await run_in_threadpool(svc.registration.register, token, req.json)
    except RegistrationError as exc:
        await run_in_threadpool(attempt.failed if exc.status == 401 else attempt.succeeded)
        headers = (
            {"WWW-Authenticate": 'Bearer error="invalid_token"'} if exc.status == 401 else None
        )
        return oauth_error(exc.error, exc.description, exc.status, headers)
    await run_in_threadpool(attempt.succeeded)
    return JSONResponse(
        svc.registration.response(client, secret),
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )
