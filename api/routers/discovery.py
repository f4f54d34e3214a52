"""Discovery (OpenID Connect Discovery 1.0 §4, RFC 8414) and the JWK Set (RFC 7517): public,
cacheable, and needing no key operation."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.assurance import Assurance, assurance
from api.deps import services
from api.surfaces import BrowserRoute
from idp.oidc.discovery import provider_metadata

router = APIRouter(route_class=BrowserRoute)


@router.get("/.well-known/openid-configuration")
@router.get("/.well-known/oauth-authorization-server")
@assurance(Assurance.PUBLIC)
def openid_configuration(request: Request) -> JSONResponse:
    svc = services(request)
    meta = provider_metadata(
        svc.settings.issuer_base, registration=svc.settings.registration_enabled
    )
    return JSONResponse(
        meta, headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}
    )


@router.get("/jwks.json")
@assurance(Assurance.PUBLIC)
def jwks(request: Request) -> JSONResponse:
    return JSONResponse(
        services(request).keys.jwks(),
        headers={"Cache-Control": "public, max-age=60", "Access-Control-Allow-Origin": "*"},
        media_type="application/jwk-set+json",
    )
