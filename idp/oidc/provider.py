"""The OpenID provider: Authlib's AuthorizationServer with the OAuth wing's grants, client
authentication and endpoints, OIDC's ID token extensions, and our storage plugged in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import InvalidClientError, InvalidRequestError, OAuth2Error
from sqlalchemy.orm import Session

from audit import AuditEvent
from idp.oauth.client_auth import PrivateKeyJWT
from idp.oauth.clients import Client
from idp.oauth.endpoints import Introspection, Revocation
from idp.oauth.grants.authorization_code import AuthorizationCodeGrant
from idp.oauth.grants.client_credentials import ClientCredentialsGrant
from idp.oauth.grants.pkce import S256CodeChallenge
from idp.oauth.grants.refresh_token import RefreshTokenGrant
from idp.oauth.params import check_basic_credentials, description, malformed
from idp.oauth.principal import Principal
from idp.oauth.requests import (
    HttpRequest,
    HttpResponse,
    OAuthJsonRequest,
    OAuthRequest,
    TokenAnswer,
)
from idp.oauth.scopes import SUPPORTED
from idp.oidc.context import ProviderContext
from idp.oidc.id_token import IdTokenOnCode, IdTokenOnRefresh
from storage import UnitOfWork


class OpenIDProvider(AuthorizationServer):
    def __init__(self, ctx: ProviderContext) -> None:
        super().__init__(scopes_supported=list(SUPPORTED))
        self.ctx = ctx
        # Token grants whose audit row may follow the answer's commit (AUDIT_FOLLOWS_COMMIT).
        self._audit_follows: set[str] = set()
        self.register_token_generator("default", ctx.tokens)
        self.register_client_auth_method("private_key_jwt", PrivateKeyJWT(ctx))
        self.register_grant(
            AuthorizationCodeGrant, [S256CodeChallenge(required=True), IdTokenOnCode(ctx)]
        )
        self.register_grant(RefreshTokenGrant, [IdTokenOnRefresh(ctx)])
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(Introspection(ctx))
        self.register_endpoint(Revocation(ctx))

    def register_grant(self, grant_cls: Any, extensions: Any = None) -> None:
        super().register_grant(grant_cls, extensions)
        if getattr(grant_cls, "AUDIT_FOLLOWS_COMMIT", False) and hasattr(
            grant_cls, "check_token_endpoint"
        ):
            self._audit_follows.add(grant_cls.GRANT_TYPE)

    def can_inline(self, grant_type: str | None) -> bool:
        """Whether a token request of `grant_type` may be answered on the caller's own thread:
        only a grant that declares its audit row may follow the commit writes nothing before
        its answer (a cached client and a secret still decide, at the caller)."""
        return grant_type in self._audit_follows

    def issue_token(self, req: HttpRequest) -> TokenAnswer:
        """The token endpoint (RFC 6749 §3.2): the grant's transaction, opened only if the
        grant needs one, committed when it succeeds and rolled back when not; the audit rows
        that follow the commit are in the answer's `deferred`."""
        oauth = self.oauth_request(req, self.ctx.db)
        try:
            resp = self.create_token_response(oauth)
            if (db := oauth.opened_db) is not None:
                if resp.status == 200:
                    db.commit()
                else:
                    db.rollback()
            return TokenAnswer(resp, oauth.client_auth_failed, tuple(oauth.audit_after))
        finally:
            if (db := oauth.opened_db) is not None:
                db.close()

    def authenticate_client(self, request: Any, methods: Any, endpoint: str = "token") -> Any:
        try:
            check_basic_credentials(request.headers.get("Authorization", ""))
            return super().authenticate_client(request, methods, endpoint)
        except InvalidClientError:
            request.client_auth_failed = True
            raise

    # -- request syntax (idp.oauth.params) ------------------------------------------------------
    def get_authorization_grant(self, request: Any) -> Any:
        """Authlib's, once the parameters fit their grammar and a named redirect URI is the
        client's: a malformed request is an invalid_request, sent back to the client only to a
        redirect URI it registered (RFC 6749 §4.1.2.1), else shown to the user. Authlib's own
        redirect URI check repeats the URI in its description, so it must not see a bad one."""
        bad = malformed(request.payload.pairs)
        trusted = self._trusted_redirect(request)
        if bad is not None:
            raise InvalidRequestError(description(bad), redirect_uri=trusted)
        if request.payload.redirect_uri and trusted is None and self._client_of(request):
            raise InvalidRequestError("The redirect_uri is not registered for this client.")
        return super().get_authorization_grant(request)

    def create_token_response(self, request: Any = None) -> Any:
        bad = malformed(request.payload.pairs)
        if bad is not None:
            return self.handle_error_response(request, InvalidRequestError(description(bad)))
        return super().create_token_response(request)

    def _client_of(self, request: Any) -> Client | None:
        client_id = request.payload.client_id
        if not client_id or malformed([("client_id", client_id)]):
            return None
        return self.query_client(client_id)

    def _trusted_redirect(self, request: Any) -> str | None:
        """Where an error may go: the redirect URI the request names when the client
        registered it, or the client's only one when it names none; else None."""
        client = self._client_of(request)
        named = request.payload.redirect_uri
        if client is None:
            return None
        if not named:
            return client.get_default_redirect_uri()
        if malformed([("redirect_uri", named)]) or not client.check_redirect_uri(named):
            return None
        return str(named)

    # -- storage hooks ------------------------------------------------------------------------
    def query_client(self, client_id: str) -> Client | None:
        return self.ctx.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: OAuthRequest) -> None:
        refresh = token.get("refresh_token")
        principal = request.user
        if refresh and isinstance(principal, Principal):
            self.ctx.tokens.store_refresh_token(
                request.db, refresh, request.client, principal, token.get("scope", "")
            )
        grant_type = request.payload.grant_type or "authorization_code"
        event = AuditEvent(
            "token.issue",
            actor=f"client:{request.client.client_id}",
            subject=principal.user_id if isinstance(principal, Principal) else None,
            client_id=request.client.client_id,
            org_id=request.client.org_id,
            detail={"grant_type": grant_type, "refresh": bool(refresh)},
        )
        if grant_type in self._audit_follows:
            # The grant declares that nothing else is written for it: the row is reported in
            # the TokenAnswer, and the caller commits it (grouped with others) before it
            # releases the token.
            request.audit_after.append(event)
        else:
            self.ctx.audit.record(event, work=UnitOfWork.of(request.db))

    # -- framework adapter --------------------------------------------------------------------
    def create_oauth2_request(self, request: Any) -> OAuthRequest:
        if isinstance(request, OAuthRequest):
            return request
        raise TypeError("build an OAuthRequest with the request's database session")

    def create_json_request(self, request: Any) -> OAuthJsonRequest:
        if isinstance(request, OAuthJsonRequest):
            return request
        raise TypeError("build an OAuthJsonRequest with the request's database session")

    def handle_response(self, status: int, body: Any, headers: Any) -> HttpResponse:
        if isinstance(body, dict):
            body = json.dumps(body)
        return HttpResponse(status, body, list(headers or []))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Authlib's signals are not used; audit events are recorded where things happen."""

    def handle_error_response(self, request: Any, error: OAuth2Error) -> HttpResponse:
        return self.handle_response(*error(None))

    # -- convenience --------------------------------------------------------------------------
    def oauth_request(self, req: HttpRequest, db: Session | Callable[[], Session]) -> OAuthRequest:
        return OAuthRequest(req, db)
