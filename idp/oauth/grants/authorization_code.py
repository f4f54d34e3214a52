"""Authorization code grant (RFC 6749 §4.1) with single-use, short-lived codes.

A code presented twice revokes every token issued from it (RFC 6749 §4.1.2): the first use
marks it used inside the token request's transaction; a later use finds it marked, and revokes
the whole grant in a transaction of its own, so the revocation sticks though the request fails.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from authlib.oauth2.rfc6749 import grants
from sqlalchemy import update

from idp.clock import aware
from idp.oauth.client_metadata import AUTH_METHODS
from idp.oauth.clients import Client
from idp.oauth.grants.copied import revoke_copied_grant
from idp.oauth.models import AuthorizationCode, Grant
from idp.oauth.principal import Principal
from idp.oauth.requests import OAuthRequest
from idp.secrets import secret_hash


class CodeRecord:
    """An authorization code row seen through Authlib's AuthorizationCodeMixin."""

    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return self.row.auth_time

    def get_acr(self) -> str | None:
        return self.row.acr

    def get_amr(self) -> list[str]:
        return list(self.row.amr or [])

    def principal(self) -> Principal:
        r = self.row
        return Principal(
            user_id=r.user_id,
            auth_time=r.auth_time,
            acr=r.acr,
            amr=list(r.amr or []),
            sid=r.sid,
            grant_id=r.grant_id,
            claims_locales=r.claims_locales,
        )


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)
    AUTHORIZATION_CODE_LENGTH = 43  # ~256 bits of entropy
    request: OAuthRequest

    def save_authorization_code(self, code: str, request: OAuthRequest) -> None:
        principal: Principal = request.user
        client: Client = request.client
        data = request.payload.data
        ctx = self.server.ctx
        now = ctx.clock()
        grant = Grant(
            id=str(uuid.uuid4()),
            client_id=client.client_id,
            user_id=principal.user_id,
            sid=principal.sid,
            scope=request.scope or "",
            created_at=now,
        )
        request.db.add(grant)
        request.db.flush()  # the code row refers to the grant
        request.db.add(
            AuthorizationCode(
                code_hash=secret_hash(code),
                grant_id=grant.id,
                client_id=client.client_id,
                user_id=principal.user_id,
                redirect_uri=request.payload.redirect_uri or client.get_default_redirect_uri(),
                scope=request.scope or "",
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                auth_time=principal.auth_time,
                acr=principal.acr,
                amr=principal.amr,
                sid=principal.sid,
                claims_locales=data.get("claims_locales"),
                expires_at=now + timedelta(seconds=ctx.code_ttl),
            )
        )

    def query_authorization_code(self, code: str, client: Client) -> CodeRecord | None:
        if not isinstance(code, str) or len(code) > 128:
            return None
        s = self.request.db
        ctx = self.server.ctx
        row = s.get(AuthorizationCode, secret_hash(code))
        if row is None or row.client_id != client.client_id:
            return None
        now = ctx.clock()
        if row.used_at is None:
            claimed = s.execute(
                update(AuthorizationCode)
                .where(
                    AuthorizationCode.code_hash == row.code_hash,
                    AuthorizationCode.used_at.is_(None),
                )
                .values(used_at=now)
            )
            if getattr(claimed, "rowcount", 0) == 1:
                if aware(row.expires_at) <= now or not ctx.tokens.grant_active(s, row.grant_id):
                    return None
                return CodeRecord(row)
        # Second use of a code: revoke everything issued from it.
        revoke_copied_grant(
            ctx, s, row.grant_id, "code_replay", subject=row.user_id, client_id=client.client_id
        )
        return None

    def delete_authorization_code(self, authorization_code: Any) -> None:
        """Already marked used in `query_authorization_code`; kept for replay detection."""

    def authenticate_user(self, authorization_code: CodeRecord) -> Principal:
        return authorization_code.principal()
