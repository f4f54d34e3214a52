"""The token endpoint (RFC 6749 §3.2), token introspection (RFC 7662) and token revocation
(RFC 7009)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api import openapi_protocol as spec
from api.adapter import BadForm, to_http_request, to_response
from api.assurance import Assurance, assurance
from api.deps import services
from api.errors import oauth_error
from api.services import Services
from api.surfaces import OAuthRoute
from api.token_endpoint import token_response
from idp.oauth.requests import HttpRequest, HttpResponse

router = APIRouter(route_class=OAuthRoute)


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
