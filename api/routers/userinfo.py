"""The UserInfo endpoint (OIDC Core §5.3), its access token a Bearer token (RFC 6750)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api import openapi_protocol as spec
from api.adapter import BadForm, to_http_request
from api.assurance import Assurance, assurance
from api.deps import services
from api.errors import oauth_error
from api.services import Services
from api.surfaces import OAuthRoute
from idp.oauth.tokens import InvalidToken

router = APIRouter(route_class=OAuthRoute)


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
