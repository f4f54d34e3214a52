"""Refresh token grant with rotation and reuse detection.

Every use rotates the token. Presenting a rotated-out token revokes the whole grant (the token
was copied), except within an optional grace window after rotation, for a client whose first
response was lost (off by default).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from authlib.oauth2.rfc6749 import grants
from sqlalchemy import update

from idp.clock import aware
from idp.oauth.client_metadata import AUTH_METHODS
from idp.oauth.clients import Client
from idp.oauth.grants.copied import revoke_copied_grant
from idp.oauth.models import RefreshToken
from idp.oauth.principal import Principal
from idp.oauth.requests import OAuthRequest


class RefreshRecord:
    def __init__(self, row: RefreshToken) -> None:
        self.row = row

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.client_id

    def get_scope(self) -> str:
        return self.row.scope

    def principal(self) -> Principal:
        r = self.row
        return Principal(r.user_id, r.auth_time, r.acr, list(r.amr or []), r.sid, r.grant_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN = True
    request: OAuthRequest

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshRecord | None:
        ctx = self.server.ctx
        s = self.request.db
        row = ctx.tokens.refresh_token_row(s, refresh_token)
        now = ctx.clock()
        if row is None or row.revoked_at is not None or aware(row.expires_at) <= now:
            return None
        if not ctx.tokens.grant_active(s, row.grant_id):
            return None
        if row.rotated_at is None:
            claimed = s.execute(
                update(RefreshToken)
                .where(RefreshToken.token_hash == row.token_hash, RefreshToken.rotated_at.is_(None))
                .values(rotated_at=now)
            )
            if getattr(claimed, "rowcount", 0) == 1:
                return RefreshRecord(row)
            s.refresh(row)  # rotated by a concurrent request a moment ago
        grace = timedelta(seconds=ctx.refresh_grace_seconds)
        if row.rotated_at is not None and grace and aware(row.rotated_at) + grace > now:
            return RefreshRecord(row)
        # Reuse of a rotated-out token: the token was copied.
        revoke_copied_grant(
            ctx, s, row.grant_id, "refresh_reuse", subject=row.user_id, client_id=row.client_id
        )
        return None

    def authenticate_user(self, refresh_token: RefreshRecord) -> Principal:
        return refresh_token.principal()

    def issue_token(self, user: Principal, refresh_token: RefreshRecord) -> dict[str, Any]:
        """Authlib holds a refresh to the grant's original scope; this also holds it to what
        the client is registered for now (RFC 6749 §3.3), so narrowing a client's scope
        narrows its next refresh."""
        scope = self.request.payload.scope or refresh_token.get_scope()
        return self.generate_token(
            user=user,
            scope=self.request.client.get_allowed_scope(scope),
            include_refresh_token=self.INCLUDE_NEW_REFRESH_TOKEN,
        )

    def revoke_old_credential(self, refresh_token: Any) -> None:
        """Rotation already marked it in `authenticate_refresh_token`."""
