"""Standard claims per scope (OIDC Core §5.1, §5.4), opened from ciphertext only when asked."""

from __future__ import annotations

from typing import Any

from idp.accounts.users import UserDirectory
from idp.oauth.clients import Client
from idp.oauth.subjects import SubjectMapper

SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("name", "preferred_username", "updated_at"),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "address": ("address",),
}


def claims_supported() -> list[str]:
    out = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid"]
    for names in SCOPE_CLAIMS.values():
        out.extend(names)
    return out


class ClaimsSource:
    def __init__(self, users: UserDirectory, subjects: SubjectMapper) -> None:
        self._users, self._subjects = users, subjects

    def userinfo(self, client: Client, user_id: str, scopes: set[str]) -> dict[str, Any]:
        user = self._users.get(user_id)
        claims: dict[str, Any] = {"sub": self._subjects.for_client(client, user_id)}
        if not scopes & set(SCOPE_CLAIMS):
            return claims  # nothing beyond `sub` was asked for: open no ciphertext
        p = self._users.profile(user)
        if "profile" in scopes:
            if p.name:
                claims["name"] = p.name
            claims["preferred_username"] = p.username
            claims["updated_at"] = int(p.updated_at.timestamp())
        if "email" in scopes and p.email:
            claims["email"] = p.email
            claims["email_verified"] = p.email_verified
        if "phone" in scopes and p.phone:
            claims["phone_number"] = p.phone
            claims["phone_number_verified"] = False
        return claims
