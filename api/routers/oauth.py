"""OAuth 2.0 / OIDC protocol endpoints: authorize, token, userinfo, introspect, revoke,
register. Protocol errors are answered exactly as the RFCs name them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api import openapi_protocol as spec
from api.adapter import BadForm, client_ip, to_http_request, to_response
from api.assurance import Assurance, assurance, session_of
from api.deps import pages, services
from api.errors import oauth_error
from api.services import Services
from api.throttle import request_cap, too_many_oauth
from api.token_endpoint import token_response
from api.web.pages import Pages
from idp.oauth.registration import RegistrationError
from idp.oauth.requests import HttpRequest, HttpResponse
from idp.oauth.tokens import InvalidToken
from idp.oidc.authorize import (
    Decision,
    NeedConsent,
    NeedEnrolment,
    NeedLogin,
    NeedSecondFactor,
    Redirect,
    ShowError,
)
from idp.signin.ratelimit import Throttled

router = APIRouter()


def render_decision(
    request: Request, decision: Decision, pg: Pages, lang_hint: str | None
) -> Response:
    if isinstance(decision, Redirect):
        return to_response(decision.response)
    if isinstance(decision, NeedLogin):
        return RedirectResponse(f"/login?interaction={decision.interaction}", status_code=303)
    if isinstance(decision, NeedConsent):
        return RedirectResponse(f"/consent?interaction={decision.interaction}", status_code=303)
    if isinstance(decision, NeedSecondFactor):
        return RedirectResponse(f"/login/otp?interaction={decision.interaction}", status_code=303)
    if isinstance(decision, NeedEnrolment):
        return pg.render(
            request,
            "mfa_required.html",
            status=403,
            lang=pg.lang(request, lang_hint),
            client_name=decision.client.name,
        )
    assert isinstance(decision, ShowError)
    lang = pg.lang(request, lang_hint)
    page = pg.failure(request, "bad_app_request", code=decision.error, lang=lang)
    return page


def _authorize_sync(request: Request, svc: Services, req: HttpRequest) -> Decision:
    with svc.db() as db:
        return svc.flow.decide(req, db, session_of(request, svc))


@router.get("/authorize", openapi_extra=spec.AUTHORIZE_GET)
@router.post("/authorize", openapi_extra=spec.AUTHORIZE_POST)
@assurance(Assurance.OPTIONAL_SESSION)
async def authorize(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    try:
        req = await to_http_request(request, svc.settings.issuer_base)
    except BadForm:
        return pg.failure(request, "bad_app_request")
    decision = await run_in_threadpool(_authorize_sync, request, svc, req)
    return render_decision(request, decision, pg, dict(req.query + req.form).get("ui_locales"))


def resume_sync(request: Request, svc: Services, iid: str | None) -> Decision | None:
    interaction = svc.interactions.get(iid)
    if interaction is None:
        return None
    params = list(interaction.params.items())
    req = HttpRequest(
        "GET",
        svc.settings.issuer_base + "/authorize",
        {k.lower(): v for k, v in request.headers.items()},
        query=params,
    )
    with svc.db() as db:
        return svc.flow.decide(req, db, session_of(request, svc), resumed=interaction)


@router.get("/authorize/resume")
@assurance(Assurance.OPTIONAL_SESSION)
async def authorize_resume(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    decision = await run_in_threadpool(
        resume_sync, request, svc, request.query_params.get("interaction")
    )
    if decision is None:
        return pg.failure(request, "expired")
    return render_decision(request, decision, pg, None)


@router.post("/token", openapi_extra=spec.TOKEN)
@assurance(Assurance.CLIENT)
async def token(request: Request) -> Response:
    """Every token request except a well-formed client_credentials one, which TokenFastPath
    answers before routing (with the same token_response)."""
    svc = services(request)
    try:
        req = await to_http_request(request, svc.settings.issuer_base)
    except BadForm as exc:
        return oauth_error("invalid_request", str(exc))
    return await token_response(svc, req)


def _endpoint_sync(svc: Services, name: str, req: HttpRequest) -> HttpResponse:
    db = svc.db()
    try:
        resp = svc.server.create_endpoint_response(name, svc.server.oauth_request(req, db))
        if resp.status == 200:
            db.commit()
        else:
            db.rollback()
        return resp
    finally:
        db.close()


@router.post("/introspect", openapi_extra=spec.INTROSPECT)
@assurance(Assurance.CLIENT)
async def introspect(request: Request) -> Response:
    svc = services(request)
    try:
        req = await to_http_request(request, svc.settings.issuer_base)
    except BadForm as exc:
        return oauth_error("invalid_request", str(exc))
    return to_response(await run_in_threadpool(_endpoint_sync, svc, "introspection", req))


@router.post("/revoke", openapi_extra=spec.REVOKE)
@assurance(Assurance.CLIENT)
async def revoke(request: Request) -> Response:
    svc = services(request)
    try:
        req = await to_http_request(request, svc.settings.issuer_base)
    except BadForm as exc:
        return oauth_error("invalid_request", str(exc))
    return to_response(await run_in_threadpool(_endpoint_sync, svc, "revocation", req))


def _bearer_error(error: str, description: str, status: int = 401) -> JSONResponse:
    header = f'Bearer error="{error}", error_description="{description}"'
    return oauth_error(error, description, status, {"WWW-Authenticate": header})


def _userinfo_sync(svc: Services, token: str) -> JSONResponse:
    try:
        claims = svc.tokens.verify_access_token(token)
    except InvalidToken:
        return _bearer_error("invalid_token", "The access token is invalid or expired.")
    if "openid" not in claims.scopes or not claims.user_id:
        return _bearer_error("insufficient_scope", "The token lacks the openid scope.", 403)
    client = svc.clients.get(claims.client_id)
    if client is None:
        return _bearer_error("invalid_token", "The client no longer exists.")
    body = svc.claims.userinfo(client, claims.user_id, claims.scopes)
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/userinfo", openapi_extra=spec.USERINFO_GET)
@router.post("/userinfo", openapi_extra=spec.USERINFO_POST)
@assurance(Assurance.CLIENT)
async def userinfo(request: Request) -> Response:
    svc = services(request)
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
    if request.method == "POST" and token is None:
        try:
            req = await to_http_request(request, svc.settings.issuer_base)
        except BadForm:
            return _bearer_error(
                "invalid_request", "Send the token as a Bearer header or form field.", 400
            )
        token = dict(req.form).get("access_token")
    elif request.method == "POST" and b"access_token=" in (await request.body()):
        # RFC 6750 §2: one method per request.
        return _bearer_error("invalid_request", "Use only one way to send the token.", 400)
    if not token:
        return JSONResponse(
            {"error": "invalid_token"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    return await run_in_threadpool(_userinfo_sync, svc, token)


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
