"""Dynamic client registration (RFC 7591) at `/register`: a client's metadata as JSON, with an
initial access token as its Bearer token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

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


@router.post("/register", openapi_extra=spec.REGISTER)
@assurance(Assurance.PUBLIC)
async def register(request: Request) -> Response:
    svc = services(request)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded":
        # The citizens' self-registration form posts here too; clients send JSON (RFC 7591).
        from api.routers.signup import register_submit

        return await register_submit(request)
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
