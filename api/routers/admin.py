"""The operators' machine API under /api/v1: organisations, clients, users, sessions, keys.

Callers authenticate with a Bearer access token that carries the `satupintu:admin` scope
(client_credentials of an operator client). Errors are RFC 9457 problem JSON.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.adapter import client_ip
from api.deps import services
from api.errors import problem
from api.services import Services
from audit import AuditEvent, Outcome
from idp.errors import Conflict, IdpError, InvalidInput, NotFound
from idp.server import ADMIN_SCOPE
from idp.tokens import AccessClaims, InvalidToken

router = APIRouter(prefix="/api/v1", tags=["admin"])


class AdminAuthError(Exception):
    def __init__(self, status: int, detail: str, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.retry_after = status, detail, retry_after


def admin(request: Request) -> AccessClaims:
    svc, ip = services(request), client_ip(request)
    throttled = svc.limiter.check(account=None, ip=ip)
    if throttled is not None:
        raise AdminAuthError(
            429,
            f"too many failed attempts; retry after {throttled.retry_after} seconds",
            throttled.retry_after,
        )
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() != "bearer ":
        raise AdminAuthError(
            401, "a Bearer access token with the satupintu:admin scope is required"
        )
    try:
        claims = svc.tokens.verify_access_token(auth[7:].strip())
    except InvalidToken as exc:
        svc.audit.record(AuditEvent("admin.auth", Outcome.FAILURE, detail={"reason": "token"}))
        svc.limiter.failure(account=None, ip=ip)
        raise AdminAuthError(401, "the access token is invalid or expired") from exc
    if ADMIN_SCOPE not in claims.scopes:
        raise AdminAuthError(403, "the token lacks the satupintu:admin scope")
    return claims


def idp_problem(exc: IdpError) -> JSONResponse:
    status = next(
        (
            code
            for kind, code in ((NotFound, 404), (Conflict, 409), (InvalidInput, 422))
            if isinstance(exc, kind)
        ),
        400,
    )
    return problem(status, exc.code, type(exc).__name__, str(exc))


class OrgIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class SignInRules(BaseModel):
    """The sign-in rules an operator can change after registration (docs/mfa.md)."""

    require_mfa: bool | None = None
    default_acr_values: list[str] | None = Field(default=None, max_length=5)


class ClientIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    org: str | None = None
    redirect_uris: list[str] = Field(default_factory=list, max_length=20)
    post_logout_redirect_uris: list[str] = Field(default_factory=list, max_length=20)
    grant_types: list[str] | None = None
    scope: str | None = Field(default=None, max_length=1000)
    public: bool = False
    token_endpoint_auth_method: str | None = None
    backchannel_logout_uri: str | None = None
    subject_type: str | None = None
    sector_identifier_uri: str | None = None
    id_token_signed_response_alg: str | None = None
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None


class UserIn(BaseModel):
    username: str = Field(max_length=64)
    password: str | None = Field(default=None, max_length=256)
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=200)
    nik: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=32)
    org: str | None = None


def client_view(client: Any, secret: str | None = None) -> dict[str, Any]:
    out = {
        "client_id": client.client_id,
        "client_name": client.name,
        "org_id": client.org_id,
        **client.metadata,
    }
    if secret:
        out["client_secret"] = secret
    return out


async def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    return await run_in_threadpool(fn, *args, **kwargs)


@router.post("/orgs", status_code=201)
async def create_org(body: OrgIn, request: Request, who: AccessClaims = Depends(admin)) -> Response:
    svc: Services = services(request)
    try:
        org = await _call(svc.orgs.create, body.name, actor=f"client:{who.client_id}")
    except IdpError as exc:
        return idp_problem(exc)
    return JSONResponse({"id": org.id, "name": org.name}, status_code=201)


@router.patch("/orgs/{ref}")
async def update_org(
    ref: str, body: SignInRules, request: Request, who: AccessClaims = Depends(admin)
) -> Response:
    """Require a second factor for every app the organisation owns."""
    svc: Services = services(request)
    try:
        org = await _call(
            svc.orgs.update, ref, require_mfa=body.require_mfa, actor=f"client:{who.client_id}"
        )
    except IdpError as exc:
        return idp_problem(exc)
    return JSONResponse({"id": org.id, "name": org.name, "require_mfa": org.require_mfa})


@router.get("/orgs")
async def list_orgs(request: Request, who: AccessClaims = Depends(admin)) -> Response:
    orgs = await _call(services(request).orgs.list)
    return JSONResponse([{"id": o.id, "name": o.name} for o in orgs])


@router.post("/clients", status_code=201)
async def create_client(
    body: ClientIn, request: Request, who: AccessClaims = Depends(admin)
) -> Response:
    svc: Services = services(request)
    try:
        org_id = (await _call(svc.orgs.resolve, body.org)).id if body.org else None
        meta = body.model_dump(exclude={"name", "org", "public"}, exclude_none=True)
        client, secret = await _call(
            svc.clients.create,
            name=body.name,
            metadata=meta,
            org_id=org_id,
            public=body.public,
            actor=f"client:{who.client_id}",
        )
    except IdpError as exc:
        return idp_problem(exc)
    return JSONResponse(
        client_view(client, secret), status_code=201, headers={"Cache-Control": "no-store"}
    )


@router.get("/clients")
async def list_clients(request: Request, who: AccessClaims = Depends(admin)) -> Response:
    clients = await _call(services(request).clients.list)
    return JSONResponse([client_view(c) for c in clients])


@router.patch("/clients/{client_id}")
async def update_client(
    client_id: str, body: SignInRules, request: Request, who: AccessClaims = Depends(admin)
) -> Response:
    """Change a client's sign-in rules: `require_mfa`, `default_acr_values`."""
    changes = body.model_dump(exclude_none=True)
    try:
        client = await _call(
            services(request).clients.update, client_id, changes, actor=f"client:{who.client_id}"
        )
    except IdpError as exc:
        return idp_problem(exc)
    return JSONResponse(client_view(client))


@router.delete("/clients/{client_id}", status_code=204)
async def delete_client(
    client_id: str, request: Request, who: AccessClaims = Depends(admin)
) -> Response:
    try:
        await _call(services(request).clients.delete, client_id, actor=f"client:{who.client_id}")
    except IdpError as exc:
        return idp_problem(exc)
    return Response(status_code=204)


@router.post("/users", status_code=201)
async def create_user(
    body: UserIn, request: Request, who: AccessClaims = Depends(admin)
) -> Response:
    svc: Services = services(request)
    try:
        org_id = (await _call(svc.orgs.resolve, body.org)).id if body.org else None
        profile = await _call(
            svc.users.create,
            username=body.username,
            password=body.password,
            email=body.email,
            name=body.name,
            nik=body.nik,
            phone=body.phone,
            org_id=org_id,
            actor=f"client:{who.client_id}",
        )
    except IdpError as exc:
        return idp_problem(exc)
    return JSONResponse({"sub": profile.sub}, status_code=201)


@router.get("/users/{sub}/sessions")
async def user_sessions(sub: str, request: Request, who: AccessClaims = Depends(admin)) -> Response:
    svc: Services = services(request)
    sessions = await _call(svc.sessions.for_user, sub)
    return JSONResponse(
        [
            {
                "sid": s.sid,
                "created_at": s.created_at.isoformat(),
                "auth_time": s.auth_time.isoformat(),
                "last_seen_at": s.last_seen_at.isoformat(),
                "expires_at": s.expires_at.isoformat(),
                "amr": s.amr,
                "clients": await _call(svc.sessions.clients, s.sid),
            }
            for s in sessions
        ]
    )


@router.delete("/sessions/{sid}", status_code=204)
async def revoke_session(
    sid: str, request: Request, who: AccessClaims = Depends(admin)
) -> Response:
    svc: Services = services(request)
    ended = await _call(svc.logout.end, sid, actor=f"client:{who.client_id}", reason="admin")
    if ended is None:
        return problem(404, "not_found", "NotFound", "no active session with that id")
    request.app.state.backchannel_kick()
    return Response(status_code=204)


@router.get("/keys")
async def list_keys(request: Request, who: AccessClaims = Depends(admin)) -> Response:
    rows = await _call(services(request).keys.rows)
    return JSONResponse(
        [
            {
                "kid": r.kid,
                "alg": r.alg,
                "created_at": r.created_at.isoformat(),
                "retired_at": r.retired_at.isoformat() if r.retired_at else None,
                "expires_at": r.expires_at.isoformat() if r.expires_at else None,
            }
            for r in rows
        ]
    )
