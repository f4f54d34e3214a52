"""A regional app's back end, written with pyoidc (`oic`, an OpenID-certified RP library) the way
its documentation shows: discovery, static registration, an authorization request with PKCE,
parsing the callback, code exchange with id_token validation, userinfo, refresh. Introspection
and revocation, which pyoidc's OIDC client lacks, go through plain HTTP.

docs/integration.md shows the same code for people integrating a real app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from oic import rndstr
from oic.oic import Client
from oic.oic.message import (
    AccessTokenResponse,
    AuthorizationRequest,
    AuthorizationResponse,
    BackChannelLogoutRequest,
    RegistrationResponse,
)
from oic.utils.authn.client import CLIENT_AUTHN_METHOD

SCOPE = ["openid", "profile", "email", "offline_access"]


@dataclass
class Pending:
    request: AuthorizationRequest
    code_verifier: str


class RegionalApp:
    def __init__(
        self, issuer: str, registration: dict[str, Any], back_url: str | None = None
    ) -> None:
        self.issuer = issuer
        self.client = Client(client_authn_method=CLIENT_AUTHN_METHOD)
        self.provider = self.client.provider_config(issuer)
        self.client.store_registration_info(RegistrationResponse(**registration))
        self.client_id: str = registration["client_id"]
        self.secret: str = registration["client_secret"]
        self.redirect_uri: str = registration["redirect_uris"][0]
        self.pending: dict[str, Pending] = {}
        self.back_url = back_url or issuer
        if self.back_url != issuer:
            # A second server behind the same issuer: the app's back-end calls go there.
            for attr in ("token_endpoint", "userinfo_endpoint"):
                setattr(self.client, attr, getattr(self.client, attr).replace(issuer, back_url))

    # -- the browser leg -----------------------------------------------------------------------
    def authorization_url(self, scope: list[str] | None = None, **extra: Any) -> str:
        args, verifier = self.client.add_code_challenge()
        state, nonce = rndstr(32), rndstr(32)
        args.update(
            client_id=self.client_id,
            response_type="code",
            scope=scope or SCOPE,
            nonce=nonce,
            redirect_uri=self.redirect_uri,
            state=state,
            **extra,
        )
        request = self.client.construct_AuthorizationRequest(request_args=args)
        self.pending[state] = Pending(request, verifier)
        return str(request.request(self.client.authorization_endpoint))

    def callback(self, url: str) -> Any:
        """Parse what the browser brought back to redirect_uri (a code or an error)."""
        assert url.startswith(self.redirect_uri), url
        response = self.client.parse_response(
            AuthorizationResponse, info=urlsplit(url).query, sformat="urlencoded"
        )
        assert response["state"] in self.pending, "state was not issued by this app"
        assert response["iss"] == self.issuer  # RFC 9207 mix-up defence
        return response

    # -- the back-channel leg ------------------------------------------------------------------
    def redeem(self, code: str, state: str, *, verifier: str | None = "keep") -> Any:
        """Exchange the code; pyoidc checks the id_token's signature against the JWKS, iss, aud,
        exp and at_hash while parsing, and verify_id_token checks the request's nonce."""
        pending = self.pending[state]
        args = {"code": code, "redirect_uri": self.redirect_uri}
        if verifier == "keep":
            args["code_verifier"] = pending.code_verifier
        elif verifier is not None:
            args["code_verifier"] = verifier
        token = self.client.do_access_token_request(
            state=state, request_args=args, authn_method="client_secret_basic"
        )
        if isinstance(token, AccessTokenResponse):
            self.client.verify_id_token(token["id_token"], pending.request)
        return token

    def userinfo(self, state: str) -> Any:
        return self.client.do_user_info_request(state=state, method="GET")

    def refresh(self, state: str) -> Any:
        return self.client.do_access_token_refresh(state=state, authn_method="client_secret_basic")

    def _post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return httpx.post(
            f"{self.back_url}{path}", data=data, auth=(self.client_id, self.secret), timeout=10
        )

    def token_request(self, data: dict[str, str]) -> httpx.Response:
        """A raw token request, for the cases an honest app never makes (reuse, bad PKCE)."""
        return self._post("/token", data)

    def introspect(self, token: str) -> dict[str, Any]:
        resp = self._post("/introspect", {"token": token})
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        return body

    def revoke(self, token: str, hint: str) -> httpx.Response:
        return self._post("/revoke", {"token": token, "token_type_hint": hint})

    def logout_url(self, id_token: str, post_logout_redirect_uri: str, state: str) -> str:
        return str(
            httpx.URL(
                self.provider["end_session_endpoint"],
                params={
                    "id_token_hint": id_token,
                    "post_logout_redirect_uri": post_logout_redirect_uri,
                    "state": state,
                },
            )
        )

    def verify_logout_token(self, body: dict[str, str]) -> Any:
        """What the app's back-channel logout endpoint does with a POSTed logout token."""
        request = BackChannelLogoutRequest(**body)
        request.verify(keyjar=self.client.keyjar, aud=self.client_id, iss=self.issuer)
        return request["logout_token"]
