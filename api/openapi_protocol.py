"""The protocol endpoints' parameters as the OpenAPI document shows them.

The handlers read their forms raw (api/adapter.py; /token's client_credentials even straight
from ASGI, api/asgi/token_fast_path.py), so FastAPI sees no parameters to describe; these
`openapi_extra` fragments describe them, for regional developers and for schemathesis.
"""

from __future__ import annotations

from typing import Any

FORM = "application/x-www-form-urlencoded"


def _string(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


CLIENT_AUTH = {
    "client_id": _string("client_secret_post, or a public client (RFC 6749 §2.3.1)"),
    "client_secret": _string("client_secret_post (RFC 6749 §2.3.1)"),
    "client_assertion_type": _string(
        "private_key_jwt (RFC 7523 §2.2)",
        enum=["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"],
    ),
    "client_assertion": _string("private_key_jwt: a JWT signed with the client's key"),
}
AUTHORIZATION = {
    "response_type": _string("RFC 6749 §4.1.1", enum=["code"]),
    "client_id": _string("RFC 6749 §4.1.1"),
    "redirect_uri": _string("a redirect URI the client registered", format="uri"),
    "scope": _string("space-separated scopes, openid among them for OIDC"),
    "state": _string("returned unchanged to the client"),
    "nonce": _string("OIDC Core §3.1.2.1: put in the ID token"),
    "code_challenge": _string("PKCE S256 challenge (RFC 7636), required"),
    "code_challenge_method": _string("RFC 7636 §4.3", enum=["S256"]),
    "prompt": _string("none, login or consent (OIDC Core §3.1.2.1)"),
    "max_age": _string("seconds since the user last authenticated"),
    "ui_locales": _string("id or en"),
    "login_hint": _string("the username to fill in"),
    "acr_values": _string("requested authentication context classes"),
}
LOGOUT = {
    "id_token_hint": _string("an ID token this provider issued"),
    "client_id": _string("the client asking"),
    "post_logout_redirect_uri": _string("a URI the client registered", format="uri"),
    "state": _string("returned with the redirect"),
    "ui_locales": _string("id or en"),
    "logout_hint": _string("the session to end"),
}
GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"]
TOKEN_HINT = _string("RFC 7009 §2.1", enum=["access_token", "refresh_token"])


def _form_body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"requestBody": {"required": True, "content": {FORM: {"schema": schema}}}}


def _query(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "parameters": [
            {"name": n, "in": "query", "required": n in required, "schema": s}
            for n, s in properties.items()
        ]
    }


TOKEN = _form_body(
    {
        "grant_type": _string("RFC 6749 §4", enum=GRANT_TYPES),
        "code": _string("authorization_code: the code (RFC 6749 §4.1.3)"),
        "redirect_uri": _string("authorization_code: as in the authorization request"),
        "code_verifier": _string("authorization_code: the PKCE verifier (RFC 7636 §4.5)"),
        "refresh_token": _string("refresh_token: the refresh token (RFC 6749 §6)"),
        "scope": _string("client_credentials, refresh_token: the scopes asked for"),
        "resource": _string("RFC 8707 resource indicator"),
        **CLIENT_AUTH,
    },
    ["grant_type"],
)
INTROSPECT = _form_body(
    {"token": _string("the token (RFC 7662 §2.1)"), "token_type_hint": TOKEN_HINT, **CLIENT_AUTH},
    ["token"],
)
REVOKE = _form_body(
    {"token": _string("the token (RFC 7009 §2.1)"), "token_type_hint": TOKEN_HINT, **CLIENT_AUTH},
    ["token"],
)
AUTHORIZE_GET = _query(AUTHORIZATION, ("response_type", "client_id"))
AUTHORIZE_POST = _form_body(AUTHORIZATION, ["response_type", "client_id"])
LOGOUT_GET = _query(LOGOUT)
LOGOUT_POST = _form_body({**LOGOUT, "confirm": _string("yes"), "csrf_token": _string("")}, [])
_BEARER = {
    "name": "Authorization",
    "in": "header",
    "required": False,
    "schema": _string("Bearer and the access token (RFC 6750 §2.1)"),
}
USERINFO_GET = {"parameters": [_BEARER]}
USERINFO_POST = {
    "parameters": [_BEARER],
    **_form_body({"access_token": _string("the access token (RFC 6750 §2.2)")}, []),
}
_URIS = {"type": "array", "items": {"type": "string", "format": "uri"}, "maxItems": 20}
REGISTER = {
    "parameters": [
        {
            "name": "Authorization",
            "in": "header",
            "required": False,
            "schema": _string("Bearer and an initial access token an operator issued"),
        }
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "Client metadata (RFC 7591 §2)",
                    "properties": {
                        "client_name": {"type": "string"},
                        "redirect_uris": _URIS,
                        "post_logout_redirect_uris": _URIS,
                        "grant_types": {
                            "type": "array",
                            "items": {
                                "type": "string",
                                "enum": [
                                    "authorization_code",
                                    "refresh_token",
                                    "client_credentials",
                                ],
                            },
                        },
                        "token_endpoint_auth_method": _string(
                            "",
                            enum=[
                                "client_secret_basic",
                                "client_secret_post",
                                "private_key_jwt",
                                "none",
                            ],
                        ),
                        "scope": {"type": "string"},
                        "id_token_signed_response_alg": _string(
                            "", enum=["RS256", "ES256", "EdDSA"]
                        ),
                        "subject_type": _string("", enum=["public", "pairwise"]),
                        "backchannel_logout_uri": {"type": "string", "format": "uri"},
                        "sector_identifier_uri": {"type": "string", "format": "uri"},
                        "jwks": {"type": "object"},
                        "jwks_uri": {"type": "string", "format": "uri"},
                        "client_uri": {"type": "string", "format": "uri"},
                        "logo_uri": {"type": "string", "format": "uri"},
                        "contacts": {"type": "array", "items": {"type": "string"}},
                    },
                }
            },
            # The citizens' self-registration form posts here too.
            FORM: {"schema": {"type": "object"}},
        },
    },
}
