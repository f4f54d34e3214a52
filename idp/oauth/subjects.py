"""Public or pairwise `sub` per client (OIDC Core §8).

Pairwise subjects are a keyed MAC of (sector, user) under the server secret
(vault.server_secret: wrapped by the key provider, stable across KEK rotation and the move to
Transit), so two regional apps in different sectors cannot correlate a citizen without a legal
basis to do so, and keep recognising their users after a key-provider migration.
"""

from __future__ import annotations

import base64
from typing import Protocol

from idp.oauth.clients import Client


class Mac(Protocol):
    def mac(self, purpose: str, data: bytes) -> bytes: ...


class SubjectMapper:
    def __init__(self, mac: Mac) -> None:
        self._mac = mac

    def for_client(self, client: Client, user_id: str) -> str:
        if client.subject_type != "pairwise":
            return user_id
        digest = self._mac.mac("pairwise-sub", f"{client.sector_identifier}|{user_id}".encode())
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def sid_for(self, client: Client, sid: str) -> str:
        """The SSO session's id as this client sees it: for a pairwise client a keyed MAC of
        (sector, sid), since one sign-in's sid is the same at every app it reached and would
        otherwise let two sectors join their pairwise subjects."""
        if client.subject_type != "pairwise":
            return sid
        digest = self._mac.mac("pairwise-sid", f"{client.sector_identifier}|{sid}".encode())
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
