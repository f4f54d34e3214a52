"""The scopes SatuPintu knows, and which of them a client may hold (RFC 6749 §3.3).

A client registers the OpenID scopes it asks users for. Privileged scopes are never registered
or requested through metadata: an operator grants the role that carries them (RFC 7591 §2 lets
the server refuse metadata), and only the client acting for itself receives them — a user
signing in to an administrator's app does not become an administrator.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from authlib.oauth2.rfc6749 import list_to_scope, scope_to_list

from idp.errors import InvalidInput

OIDC_SCOPES = ("openid", "profile", "email", "phone", "address", "offline_access")
ADMIN_SCOPE = "satupintu:admin"
# Privileged scope -> how an operator grants it.
PRIVILEGED = {ADMIN_SCOPE: "satupintu clients update CLIENT_ID --admin-role national|organisation"}
SUPPORTED = (*OIDC_SCOPES, *PRIVILEGED)
DEFAULT_SCOPE = "openid profile email"


def registrable_scope(value: Any) -> str:
    """The `scope` metadata a client may register: known OpenID scopes only."""
    if value is None or value == "":
        value = DEFAULT_SCOPE
    if not isinstance(value, str) or len(value) > 1000:
        raise InvalidInput("scope must be a space-separated string")
    scopes = list(dict.fromkeys(scope_to_list(value) or []))
    for scope in scopes:
        if scope in PRIVILEGED:
            how = PRIVILEGED[scope]
            raise InvalidInput(f"scope {scope!r} is not registrable; an operator grants it: {how}")
        if scope not in OIDC_SCOPES:
            raise InvalidInput(f"unknown scope {scope!r}; known scopes: {' '.join(OIDC_SCOPES)}")
    return " ".join(scopes)


def within(requested: str | None, allowed: Iterable[str]) -> str:
    """The requested scopes that are also allowed, in the order asked."""
    held = set(allowed)
    return list_to_scope([s for s in scope_to_list(requested or "") or [] if s in held]) or ""


def exceeds(requested: str | None, allowed: Iterable[str]) -> list[str]:
    """The requested scopes that are not allowed."""
    held = set(allowed)
    return [s for s in scope_to_list(requested or "") or [] if s not in held]
