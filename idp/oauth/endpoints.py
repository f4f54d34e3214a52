"""Token introspection (RFC 7662) and revocation (RFC 7009) for JWT access tokens and opaque
refresh tokens. A client may inspect or revoke only tokens issued to it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from audit import AuditEvent
from idp.clock import aware, epoch
from idp.oauth.client_metadata import AUTH_METHODS
from idp.oauth.context import ServerContext
from idp.oauth.models import RefreshToken
from idp.oauth.requests import OAuthRequest
from idp.oauth.tokens import AccessClaims, InvalidToken
from storage import UnitOfWork

CONFIDENTIAL_AUTH = [m for m in AUTH_METHODS if m != "none"]


@dataclass
class FoundToken:
    """An access or refresh token as the endpoints see it."""

    kind: str
    client_id: str
    access: AccessClaims | None = None
    refresh: RefreshToken | None = None
    active: bool = True

    def check_client(self, client: Any) -> bool:
        return bool(self.client_id == client.client_id)

    def is_expired(self) -> bool:
        return not self.active

    def is_revoked(self) -> bool:
        return not self.active


def find_token(
    ctx: ServerContext, request: OAuthRequest, token: str, hint: str | None
) -> FoundToken | None:
    if not isinstance(token, str) or not token or len(token) > 16_384:
        return None
    order = (
        ["refresh_token", "access_token"]
        if hint == "refresh_token"
        else ["access_token", "refresh_token"]
    )
    for kind in order:
        if kind == "access_token" and token.count(".") == 2:
            try:
                access = ctx.tokens.verify_access_token(token)
            except InvalidToken:
                continue
            return FoundToken("access_token", access.client_id, access=access)
        if kind == "refresh_token":
            row = ctx.tokens.refresh_token_row(request.db, token)
            if row is None:
                continue
            now = ctx.clock()
            active = (
                row.revoked_at is None
                and row.rotated_at is None
                and aware(row.expires_at) > now
                and ctx.tokens.grant_active(request.db, row.grant_id)
            )
            return FoundToken("refresh_token", row.client_id, refresh=row, active=active)
    return None


class _PresentedToken:
    """The token lookup of Introspection and Revocation: the form's `token` when it exists and
    belongs to the authenticated client, else None. A token of another client is therefore
    reported inactive by introspection (RFC 7662 §2.2) and left alone by revocation, which
    still answers 200 (RFC 7009 §2.2)."""

    check_params: Callable[[OAuthRequest, Any], None]  # Authlib's, on the endpoint classes

    def __init__(self, ctx: ServerContext) -> None:
        super().__init__()
        self.ctx = ctx

    def authenticate_token(self, request: OAuthRequest, client: Any) -> FoundToken | None:
        self.check_params(request, client)
        form = request.form
        found = find_token(self.ctx, request, form["token"], form.get("token_type_hint"))
        if found is None or not found.check_client(client):
            return None
        return found

    def query_token(self, token_string: str, token_type_hint: str | None) -> None:
        raise NotImplementedError  # find_token needs the request; see authenticate_token


class Introspection(_PresentedToken, IntrospectionEndpoint):
    # Only confidential clients (resource servers) may introspect.
    CLIENT_AUTH_METHODS = CONFIDENTIAL_AUTH

    def check_permission(self, token: Any, client: Any, request: Any) -> bool:
        return True

    def introspect_token(self, token: FoundToken) -> dict[str, Any]:
        if token.access is not None:
            c = token.access.claims
            out: dict[str, Any] = {
                k: c[k]
                for k in (
                    "scope",
                    "client_id",
                    "sub",
                    "aud",
                    "iss",
                    "exp",
                    "iat",
                    "jti",
                    "auth_time",
                    "acr",
                    "sid",
                )
                if k in c
            }
            out["token_type"] = "Bearer"
            return out
        row = token.refresh
        assert row is not None
        client = self.ctx.clients.require(row.client_id)
        return {
            "scope": row.scope,
            "client_id": row.client_id,
            "sub": self.ctx.subjects.for_client(client, row.user_id),
            "aud": row.client_id,
            "iss": self.ctx.issuer,
            "exp": epoch(aware(row.expires_at)),
            "iat": epoch(aware(row.issued_at)),
            "token_type": "refresh_token",
        }


class Revocation(_PresentedToken, RevocationEndpoint):
    # Public clients may revoke their own tokens (RFC 7009 §2.1).
    CLIENT_AUTH_METHODS = list(AUTH_METHODS)

    def revoke_token(self, token: FoundToken, request: OAuthRequest) -> None:
        if token.access is not None:
            self.ctx.tokens.revoke_access_token(token.access)
            subject = token.access.user_id
        else:
            assert token.refresh is not None
            # Revoking a refresh token ends its grant, and with it the access tokens.
            self.ctx.tokens.revoke_grant(request.db, token.refresh.grant_id, "revoked")
            subject = token.refresh.user_id
        self.ctx.audit.record(
            AuditEvent(
                "token.revoke",
                actor=f"client:{token.client_id}",
                subject=subject,
                client_id=token.client_id,
                detail={"kind": token.kind},
            ),
            work=UnitOfWork.of(request.db),
        )
