"""The operators' machine API under /api/v1: organisations, clients, users, sessions, keys.

Callers authenticate with a Bearer access token that carries the `satupintu:admin` scope: a
client_credentials token of a client an operator granted an administrator role. Every call is
authorised against that role and the caller's organisation (idp.oauth.admin_access). Errors are
RFC 9457 problem JSON.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.adapter import client_ip
from api.assurance import Assurance, assurance
from api.deps import services
from api.errors import problem
from api.services import Services
from api.surfaces import ProblemRoute
from audit import AuditEvent, Outcome
from idp.errors import Conflict, IdpError, InvalidInput, NotFound
from idp.oauth.admin_access import AdminCaller, AdminRole, Forbidden
from idp.oauth.scopes import ADMIN_SCOPE
from idp.oauth.tokens import InvalidToken
from idp.signin.ratelimit import Throttled

router = APIRouter(prefix="/api/v1", tags=["admin"], route_class=ProblemRoute)


class AdminAuthError(Exception):
    def __init__(self, status: int, detail: str, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.retry_after = status, detail, retry_after


def admin(request: Request) -> AdminCaller:
    svc, ip = services(request), client_ip(request)
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() != "bearer ":
        raise AdminAuthError(
            401, "a Bearer access token with the satupintu:admin scope is required"
        )
    attempt = svc.limiter.begin(account=None, ip=ip)  # reserve, then check the token
    if isinstance(attempt, Throttled):
        raise AdminAuthError(
            429,
            f"too many failed attempts; retry after {attempt.retry_after} seconds",
            attempt.retry_after,
        )
    try:
        claims = svc.tokens.verify_access_token(auth[7:].strip())
    except InvalidToken as exc:
        svc.audit.record(AuditEvent("admin.auth", Outcome.FAILURE, detail={"reason": "token"}))
        attempt.failed()
        raise AdminAuthError(401, "the access token is invalid or expired") from exc
    attempt.succeeded()
    # The client acting for itself (client_credentials), holding the scope and, now, the role.
    client = svc.clients.get(claims.client_id)
    role = client.admin_role if client is not None else None
    if ADMIN_SCOPE not in claims.scopes or claims.user_id is not None or role is None:
        svc.audit.record(
            AuditEvent(
                "admin.auth",
                Outcome.DENIED,
                actor=f"client:{claims.client_id}",
                client_id=claims.client_id,
                detail={"reason": "no_role"},
            )
        )
        raise AdminAuthError(403, "the token is not an administrator's (satupintu:admin)")
    assert client is not None
    return AdminCaller(client.client_id, role, client.org_id)


def idp_problem(exc: IdpError) -> JSONResponse:
    status = next(
        (
            code
            for kind, code in (
                (NotFound, 404),
                (Forbidden, 403),
                (Conflict, 409),
                (InvalidInput, 422),
            )
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


class ClientRules(SignInRules):
    """What an operator can change of a client after registration."""

    id_token_scope_claims: bool | None = None  # the granted scopes' claims in the id_token too


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
    id_token_scope_claims: bool | None = None
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    admin_role: AdminRole | None = None  # granted by a national administrator only


class UserIn(BaseModel):
    username: str = Field(max_length=64)
    password: str | None = Field(default=None, max_length=256)
    email: str | None = Field(default=None, max_length=320)
    email_verified: bool = False  # the operator has verified the address (audited)
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


def _org_id(svc: Services, ref: str | None) -> str | None:
    return svc.orgs.resolve(ref).id if ref else None


def _client_in_reach(svc: Services, who: AdminCaller, client_id: str) -> None:
    client = svc.clients.get(client_id)
    who.require_reach(client.org_id if client else None, "client")
    if client is None:
        raise NotFound("no client with that id")


def _user_in_reach(svc: Services, who: AdminCaller, sub: str) -> None:
    try:
        user = svc.users.get(sub)
    except NotFound:
        user = None
    who.require_reach(user.org_id if user else None, "user")
    if user is None:
        raise NotFound("no user with that id")


@router.post("/orgs", status_code=201)
@assurance(Assurance.CLIENT)
async def create_org(body: OrgIn, request: Request, who: AdminCaller = Depends(admin)) -> Response:
    svc: Services = services(request)

    def run() -> Any:
        who.require_national("create organisations")
        return svc.orgs.create(body.name, actor=who.actor)

    try:
        org = await _call(run)
    except IdpError as exc:
        return idp_problem(exc)
    return JSONResponse({"id": org.id, "name": org.name}, status_code=201)


@router.patch("/orgs/{ref}")
@assurance(Assurance.CLIENT)
async def update_org(
    ref: str, body: SignInRules, request: Request, who: AdminCaller = Depends(admin)
) -> Response:
    """Require a second factor for every app the organisation owns."""
    svc: Services = services(request)

    def run() -> Any:
        try:
            org_id: str | None = svc.orgs.resolve(ref).id
        except NotFound:
            org_id = None
        who.require_reach(org_id, "organisation")
        return svc.orgs.update(ref, require_mfa=body.require_mfa, actor=who.actor)

    try:
        org = await _call(run)
    except IdpError as exc:
        return idp_problem(exc)
    return JSONResponse({"id": org.id, "name": org.name, "require_mfa": org.require_mfa})


@router.get("/orgs")
@assurance(Assurance.CLIENT)
async def list_orgs(request: Request, who: AdminCaller = Depends(admin)) -> Response:
    orgs = await _call(services(request).orgs.list)
    return JSONResponse([{"id": o.id, "name": o.name} for o in orgs if who.reaches(o.id)])


@router.post("/clients", status_code=201)
@assurance(Assurance.CLIENT)
async def create_client(
    body: ClientIn, request: Request, who: AdminCaller = Depends(admin)
) -> Response:
    svc: Services = services(request)

    def run() -> Any:
        org_id = who.creating_in(_org_id(svc, body.org))
        if body.admin_role is not None:
            who.require_national("grant administrator roles")
        meta = body.model_dump(exclude={"name", "org", "public", "admin_role"}, exclude_none=True)
        return svc.clients.create(
            name=body.name,
            metadata=meta,
            org_id=org_id,
            public=body.public,
            actor=who.actor,
            admin_role=body.admin_role,
        )

    try:
        client, secret = await _call(run)
    except IdpError as exc:
        return idp_problem(exc)
    return JSONResponse(
        client_view(client, secret), status_code=201, headers={"Cache-Control": "no-store"}
    )


@router.get("/clients")
@assurance(Assurance.CLIENT)
async def list_clients(request: Request, who: AdminCaller = Depends(admin)) -> Response:
    org_id = None if who.national else who.org_id
    clients = await _call(services(request).clients.list, org_id)
    return JSONResponse([client_view(c) for c in clients if who.reaches(c.org_id)])


@router.patch("/clients/{client_id}")
@assurance(Assurance.CLIENT)
async def update_client(
    client_id: str, body: ClientRules, request: Request, who: AdminCaller = Depends(admin)
) -> Response:
    """Change a client's sign-in rules (`require_mfa`, `default_acr_values`) and whether its
    id_tokens carry the granted scopes' claims (`id_token_scope_claims`)."""
    svc: Services = services(request)
    changes = body.model_dump(exclude_none=True)

    def run() -> Any:
        _client_in_reach(svc, who, client_id)
        return svc.clients.update(client_id, changes, actor=who.actor)

    try:
        client = await _call(run)
    except IdpError as exc:
        return idp_problem(exc)
    return JSONResponse(client_view(client))


@router.delete("/clients/{client_id}", status_code=204)
@assurance(Assurance.CLIENT)
async def delete_client(
    client_id: str, request: Request, who: AdminCaller = Depends(admin)
) -> Response:
    svc: Services = services(request)

    def run() -> None:
        _client_in_reach(svc, who, client_id)
        svc.clients.delete(client_id, actor=who.actor)

    try:
        await _call(run)
    except IdpError as exc:
        return idp_problem(exc)
    return Response(status_code=204)


@router.post("/users", status_code=201)
@assurance(Assurance.CLIENT)
async def create_user(
    body: UserIn, request: Request, who: AdminCaller = Depends(admin)
) -> Response:
    svc: Services = services(request)

    def run() -> Any:
        return svc.users.create(
            username=body.username,
            password=body.password,
            email=body.email,
            email_verified=body.email_verified,
            name=body.name,
            nik=body.nik,
            phone=body.phone,
            org_id=who.creating_in(_org_id(svc, body.org)),
            actor=who.actor,
        )

    try:
        profile = await _call(run)
    except IdpError as exc:
        return idp_problem(exc)
    return JSONResponse({"sub": profile.sub}, status_code=201)


@router.get("/users/{sub}/sessions")
@assurance(Assurance.CLIENT)
async def user_sessions(sub: str, request: Request, who: AdminCaller = Depends(admin)) -> Response:
    svc: Services = services(request)

    def run() -> list[dict[str, Any]]:
        _user_in_reach(svc, who, sub)
        return [
            {
                "sid": s.sid,
                "created_at": s.created_at.isoformat(),
                "auth_time": s.auth_time.isoformat(),
                "last_seen_at": s.last_seen_at.isoformat(),
                "expires_at": s.expires_at.isoformat(),
                "amr": s.amr,
                "clients": svc.sessions.clients(s.sid),
            }
            for s in svc.sessions.for_user(sub)
        ]

    try:
        return JSONResponse(await _call(run))
    except IdpError as exc:
        return idp_problem(exc)


@router.delete("/sessions/{sid}", status_code=204)
@assurance(Assurance.CLIENT)
async def revoke_session(sid: str, request: Request, who: AdminCaller = Depends(admin)) -> Response:
    svc: Services = services(request)

    def run() -> Any:
        active = svc.sessions.get(sid)
        if active is None:
            raise NotFound("no active session with that id")
        _user_in_reach(svc, who, active.user_id)
        return svc.logout.end(sid, actor=who.actor, reason="admin")

    try:
        ended = await _call(run)
    except IdpError as exc:
        return idp_problem(exc)
    if ended is None:
        return problem(404, "not_found", "NotFound", "no active session with that id")
    request.app.state.backchannel_kick()
    return Response(status_code=204)


@router.get("/keys")
@assurance(Assurance.CLIENT)
async def list_keys(request: Request, who: AdminCaller = Depends(admin)) -> Response:
    try:
        who.require_national("read the signing keys")
    except IdpError as exc:
        return idp_problem(exc)
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
