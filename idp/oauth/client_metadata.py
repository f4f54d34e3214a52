"""Client metadata (RFC 7591 §2, OIDC Registration §2): the values SatuPintu accepts, and the
JSON types a client registering itself must use, checked before the values are read: a number
where a list of URIs belongs, or a string no database can store (NUL, which PostgreSQL refuses;
a lone surrogate, which no UTF-8 can carry), is invalid_client_metadata rather than a TypeError,
or a client stored whose registration response cannot be written."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from idp.errors import InvalidInput
from idp.oauth.admin_access import ADMIN_ROLES, AdminRole
from idp.oauth.client_uris import OUTBOUND_URIS
from idp.oauth.params import NOT_TEXT
from idp.oauth.scopes import registrable_scope
from idp.oauth.uris import is_iri

SECRET_METHODS = ("client_secret_basic", "client_secret_post")
AUTH_METHODS = (*SECRET_METHODS, "private_key_jwt", "none")
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
SIGNING_ALGS = ("RS256", "ES256", "EdDSA")
SUBJECT_TYPES = ("public", "pairwise")
# Set only by an operator (CLI, or a national administrator through the admin API), never from
# registrable metadata, and kept when the registrable metadata changes.
OPERATOR_FIELDS = ("skip_consent", "admin_role")

LISTS_OF_STRINGS = frozenset(
    {"redirect_uris", "post_logout_redirect_uris", "grant_types", "contacts"}
)
OBJECTS = frozenset({"jwks"})
BOOLEANS = frozenset({"id_token_scope_claims"})
MAX_LIST = 20
MAX_DEPTH = 8


def check_metadata_types(body: dict[str, Any]) -> None:
    """InvalidInput naming the first field whose JSON type is not RFC 7591's: lists of
    strings, the jwks object, booleans, and strings for everything else; no string anywhere (names
    included) holding a control character or a lone surrogate."""
    for key, value in body.items():
        _check_text(value, key)
        if key in LISTS_OF_STRINGS:
            ok = isinstance(value, list) and len(value) <= MAX_LIST
            ok = ok and all(isinstance(v, str) for v in value)
        elif key in OBJECTS:
            ok = isinstance(value, dict)
        elif key in BOOLEANS:
            ok = isinstance(value, bool)
        else:
            ok = isinstance(value, str)
        if not ok:
            kind = (
                "a list of strings"
                if key in LISTS_OF_STRINGS
                else "an object"
                if key in OBJECTS
                else "true or false"
                if key in BOOLEANS
                else "a string"
            )
            raise InvalidInput(f"{key} must be {kind}")


def _check_text(value: Any, key: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise InvalidInput(f"{key} is nested too deeply")
    if isinstance(value, str):
        if NOT_TEXT.search(value):
            raise InvalidInput(f"{key} holds characters no metadata may hold")
    elif isinstance(value, list):
        for item in value:
            _check_text(item, key, depth + 1)
    elif isinstance(value, dict):
        for name, item in value.items():
            _check_text(name, key, depth + 1)
            _check_text(item, key, depth + 1)


def validate_redirect_uri(uri: str, what: str = "redirect_uri", *, private_use: bool = True) -> str:
    """Absolute, no fragment; https except loopback (RFC 8252 §7.3) or, where `private_use`
    (a browser goes there, not this server), a private-use scheme."""
    if not isinstance(uri, str) or len(uri) > 2000 or not is_iri(uri):
        # is_iri: urlsplit drops tabs and line breaks before it parses, so it would not see them
        raise InvalidInput(f"{what} is invalid")
    parts = urlsplit(uri)
    if parts.fragment or not parts.scheme:
        raise InvalidInput(f"{what} must be absolute and have no fragment: {uri}")
    if parts.scheme == "https" and parts.hostname:
        return uri
    if parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1"):
        return uri
    if private_use and "." in parts.scheme and parts.scheme not in ("http", "https"):
        return uri  # reverse-domain private-use scheme of a native app
    raise InvalidInput(f"{what} must use https (http only for localhost): {uri}")


def checked_role(role: str, meta: dict[str, Any], org_id: str | None) -> AdminRole:
    """An administrator role fits only a confidential client acting for itself; an
    organisation's administrator needs its organisation."""
    if role not in ADMIN_ROLES:
        raise InvalidInput(f"admin role must be one of {', '.join(ADMIN_ROLES)}")
    if "client_credentials" not in meta.get("grant_types", []):
        raise InvalidInput("an administrator client needs the client_credentials grant")
    if role == "organisation" and org_id is None:
        raise InvalidInput("an organisation's administrator client needs --org")
    return "national" if role == "national" else "organisation"


def normalise_metadata(meta: dict[str, Any], *, public: bool) -> dict[str, Any]:
    """Validated client metadata with defaults filled in."""
    out: dict[str, Any] = {}
    grant_types = list(meta.get("grant_types") or ["authorization_code", "refresh_token"])
    for g in grant_types:
        if g not in GRANT_TYPES:
            raise InvalidInput(f"unsupported grant_type {g!r}")
    method = meta.get("token_endpoint_auth_method") or ("none" if public else SECRET_METHODS[0])
    if method not in AUTH_METHODS:
        raise InvalidInput(f"unsupported token_endpoint_auth_method {method!r}")
    if public and method != "none":
        raise InvalidInput("a public client authenticates with 'none'")
    if method == "none" and "client_credentials" in grant_types:
        raise InvalidInput("a public client cannot use client_credentials")
    redirect_uris = [validate_redirect_uri(u) for u in meta.get("redirect_uris") or []]
    if "authorization_code" in grant_types and not redirect_uris:
        raise InvalidInput("authorization_code clients need at least one redirect_uri")
    out["redirect_uris"] = redirect_uris
    out["post_logout_redirect_uris"] = [
        validate_redirect_uri(u, "post_logout_redirect_uri")
        for u in meta.get("post_logout_redirect_uris") or []
    ]
    out["grant_types"] = grant_types
    out["response_types"] = ["code"] if "authorization_code" in grant_types else []
    out["token_endpoint_auth_method"] = method
    out["scope"] = registrable_scope(meta.get("scope"))
    alg = meta.get("id_token_signed_response_alg") or "RS256"
    if alg not in SIGNING_ALGS:
        raise InvalidInput(f"id_token_signed_response_alg must be one of {SIGNING_ALGS}")
    out["id_token_signed_response_alg"] = alg
    if meta.get("id_token_scope_claims") is not None:
        if not isinstance(meta["id_token_scope_claims"], bool):
            raise InvalidInput("id_token_scope_claims must be true or false")
        out["id_token_scope_claims"] = meta["id_token_scope_claims"]
    subject_type = meta.get("subject_type") or "public"
    if subject_type not in SUBJECT_TYPES:
        raise InvalidInput("subject_type must be public or pairwise")
    out["subject_type"] = subject_type
    for key in OUTBOUND_URIS:  # called by this server: http(s) only
        if meta.get(key):
            out[key] = validate_redirect_uri(meta[key], key, private_use=False)
    if out.get("backchannel_logout_uri"):
        out["backchannel_logout_session_required"] = True
    if method == "private_key_jwt" and not (meta.get("jwks") or meta.get("jwks_uri")):
        raise InvalidInput("private_key_jwt needs jwks or jwks_uri")
    acr = meta.get("default_acr_values")
    if acr is not None:
        if not isinstance(acr, list) or not all(isinstance(v, str) and v for v in acr):
            raise InvalidInput("default_acr_values must be a list of strings")
        out["default_acr_values"] = acr[:8]
    if meta.get("require_mfa") is not None:
        out["require_mfa"] = bool(meta["require_mfa"])
    for key in ("jwks", "client_uri", "logo_uri", "contacts"):
        if meta.get(key) is not None:
            out[key] = meta[key]
    return out
