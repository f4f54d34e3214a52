"""ID Tokens (OIDC Core §2, §3.1.3.6), signed with the client's registered algorithm."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import scope_to_list
from authlib.oidc.core import OpenIDCode, OpenIDToken
from authlib.oidc.core.util import create_half_hash
from sqlalchemy import select

from idp.clock import epoch
from idp.oauth.models import AuthorizationCode
from idp.oauth.principal import Principal
from idp.oauth.requests import OAuthRequest
from idp.oidc.context import ProviderContext


def id_token_claims(ctx: ProviderContext, request: OAuthRequest, token: dict[str, Any]) -> dict:
    client = request.client
    principal: Principal = request.user
    alg = client.id_token_signed_response_alg
    now = epoch(ctx.clock())
    claims: dict[str, Any] = {
        "iss": ctx.issuer,
        "sub": ctx.subjects.for_client(client, principal.user_id),
        "aud": client.client_id,
        "exp": now + ctx.id_token_ttl,
        "iat": now,
        "auth_time": principal.auth_time,
    }
    code = request.authorization_code
    if code is not None and code.get_nonce():
        claims["nonce"] = code.get_nonce()
    if principal.acr:
        claims["acr"] = principal.acr
    if principal.amr:
        claims["amr"] = principal.amr
    if principal.sid:
        claims["sid"] = ctx.subjects.sid_for(client, principal.sid)
    if token.get("access_token"):
        at_hash = create_half_hash(token["access_token"], alg)
        if at_hash is not None:
            claims["at_hash"] = at_hash.decode()
    if client.id_token_scope_claims:
        # OIDC Core §5.4: the granted scopes' claims here as well as at userinfo, from the
        # same source (opened from ciphertext only for a client that asked).
        scopes = set(scope_to_list(token.get("scope") or ""))
        claims |= ctx.claims.userinfo(client, principal.user_id, scopes)
    return claims


class IdTokenOnRefresh(OpenIDToken):
    """Refresh responses carry a fresh id_token too (OIDC Core §12.2)."""

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx

    def encode_id_token(self, token: dict[str, Any], request: OAuthRequest) -> str:
        claims = id_token_claims(self.ctx, request, token)
        return self.ctx.keys.sign(claims, request.client.id_token_signed_response_alg)


class IdTokenOnCode(OpenIDCode):
    def __init__(self, ctx: ProviderContext) -> None:
        super().__init__(require_nonce=False)
        self.ctx = ctx

    def exists_nonce(self, nonce: str, request: OAuthRequest) -> bool:
        stmt = select(AuthorizationCode.code_hash).where(
            AuthorizationCode.client_id == request.payload.client_id,
            AuthorizationCode.nonce == nonce,
        )
        return request.db.scalar(stmt.limit(1)) is not None

    def encode_id_token(self, token: dict[str, Any], request: OAuthRequest) -> str:
        claims = id_token_claims(self.ctx, request, token)
        return self.ctx.keys.sign(claims, request.client.id_token_signed_response_alg)
